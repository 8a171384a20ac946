package jrunc.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import jrunc.json.JsonWriter;
import jrunc.runtime.Container;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "state", mixinStandardHelpOptions = true,
        description = "Print a container's state as runtime-spec JSON.")
final class StateCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() throws Exception {
        Container c = Container.load(jrunc.root(), id);
        String status = c.status();
        Map<String, Object> json = c.stateFields(status);
        json.put("rootfs", c.state().rootfs());
        json.put("created", c.state().created());
        json.put("owner", "");
        System.out.println(JsonWriter.pretty(json));
        return 0;
    }
}
