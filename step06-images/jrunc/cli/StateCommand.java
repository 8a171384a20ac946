package jrunc.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import jrunc.runtime.Container;
import jrunc.spec.SpecLoader;
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
        ObjectNode json = (ObjectNode) SpecLoader.JSON.readTree(c.stateJson(status));
        json.put("rootfs", c.state().rootfs()).put("created", c.state().created())
                .put("owner", "");
        System.out.println(SpecLoader.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        return 0;
    }
}
