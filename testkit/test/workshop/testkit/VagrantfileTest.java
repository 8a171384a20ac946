package workshop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which box the Vagrantfile gives each laptop. Vagrant evaluates a Vagrantfile as Ruby; here Ruby
 * evaluates it against a stand-in for Vagrant's configuration object that prints what was set,
 * with the laptop's answers (uname's machine, Ruby's platform, macOS's sysctl, Vagrant's version)
 * given by the test. The real Vagrant validates it too.
 */
class VagrantfileTest {
    @TempDir static Path scratch;
    static Path stub;

    static final String STUB = """
            require "etc"
            module Etc
              def self.uname = { machine: ENV.fetch("FAKE_MACHINE") }
            end
            Object.send(:remove_const, :RUBY_PLATFORM)
            RUBY_PLATFORM = ENV.fetch("FAKE_PLATFORM")
            class Object
              private def `(command)
                command.start_with?("sysctl ") ? ENV.fetch("FAKE_SYSCTL_ARM64", "") + "\\n" : raise("unexpected #{command}")
              end
            end
            class Recorder
              def initialize(name) = @name = name
              def vmx = @vmx ||= {}.tap { |h| at_exit { h.each { |k, v| puts "#{@name}.vmx[#{k}]=#{v}" } } }
              def method_missing(m, *args, &block)
                if m.end_with?("=") then puts "#{@name}.#{m.to_s.chomp("=")}=#{args.first}"
                elsif m == :provider then block.call(Recorder.new("provider #{args.first}"))
                else puts "#{@name}.#{m}(#{args.join(", ")})"
                end
              end
              def respond_to_missing?(*) = true
            end
            module Vagrant
              VERSION = ENV.fetch("FAKE_VAGRANT_VERSION")
              def self.configure(version)
                config = Object.new
                vm = Recorder.new("vm")
                config.define_singleton_method(:vm) { vm }
                yield config
              end
            end
            load ARGV[0]
            """;

    @BeforeAll
    static void writeTheStub() throws IOException {
        stub = scratch.resolve("vagrant-stub.rb");
        Files.writeString(stub, STUB);
    }

    /** What the Vagrantfile sets on a laptop with these answers. */
    static Command.Result configure(String machine, String platform, String sysctlArm64,
                                    String vagrantVersion, Map<String, String> env) {
        Command command = Command.of("ruby", stub.toString(), Workshop.root().resolve("Vagrantfile").toString())
                .env("FAKE_MACHINE", machine).env("FAKE_PLATFORM", platform)
                .env("FAKE_SYSCTL_ARM64", sysctlArm64).env("FAKE_VAGRANT_VERSION", vagrantVersion);
        for (var e : env.entrySet()) command = command.env(e.getKey(), e.getValue());
        return command.run();
    }

    static String box(Command.Result r) {
        r.assertExit(0);
        return r.stdout().lines().filter(l -> l.startsWith("vm.box")).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    @Test
    void anAppleSiliconMacGetsTheArm64Box() {
        assertEquals("vm.box=bento/debian-12\nvm.box_architecture=arm64",
                box(configure("arm64", "arm64-darwin23", "1", "2.4.3", Map.of())));
    }

    @Test
    void anAppleSiliconMacIsRecognisedEvenWhenVagrantRunsUnderRosetta() {
        assertEquals("vm.box=bento/debian-12\nvm.box_architecture=arm64",
                box(configure("x86_64", "x86_64-darwin23", "1", "2.4.3", Map.of())));
    }

    @Test
    void anIntelMacAWindowsLaptopAndAnX86LinuxGetTheX86Box() {
        assertEquals("vm.box=bento/debian-12\nvm.box_architecture=amd64",
                box(configure("x86_64", "x86_64-darwin21", "", "2.4.3", Map.of())));
        assertEquals("vm.box=bento/debian-12\nvm.box_architecture=amd64",
                box(configure("x86_64", "x64-mingw-ucrt", "", "2.4.3", Map.of())));
        assertEquals("vm.box=bento/debian-12\nvm.box_architecture=amd64",
                box(configure("x86_64", "x86_64-linux", "", "2.4.3", Map.of())));
    }

    @Test
    void aVagrantOlderThan24NamesTheArm64BoxItself() {
        assertEquals("vm.box=bento/debian-12-arm64",
                box(configure("aarch64", "aarch64-linux", "", "2.3.4", Map.of())));
        assertEquals("vm.box=bento/debian-12",
                box(configure("x86_64", "x86_64-linux", "", "2.3.4", Map.of())));
    }

    @Test
    void theArchitectureCanBeForcedAndAWrongOneIsNamed() {
        assertEquals("vm.box=bento/debian-12\nvm.box_architecture=amd64", box(configure("arm64",
                "arm64-darwin23", "1", "2.4.3", Map.of("WORKSHOP_BOX_ARCH", "amd64"))));
        var wrong = configure("arm64", "arm64-darwin23", "1", "2.4.3", Map.of("WORKSHOP_BOX_ARCH", "x86"));
        assertEquals(1, wrong.exitCode(), wrong.stdout() + wrong.stderr());
        assertEquals("Vagrantfile: WORKSHOP_BOX_ARCH must be amd64 or arm64, not x86\n", wrong.stderr());
    }

    @Test
    void everyProviderGetsTwoCpusAndFourGigabytes() {
        String out = configure("arm64", "arm64-darwin23", "1", "2.4.3", Map.of()).stdout();
        for (String provider : new String[] {"virtualbox", "parallels", "libvirt"}) {
            assertTrue(out.contains("provider " + provider + ".cpus=2\nprovider " + provider + ".memory=4096\n"), out);
        }
        assertTrue(out.contains("provider vmware_desktop.vmx[numvcpus]=2\nprovider vmware_desktop.vmx[memsize]=4096"), out);
        assertTrue(out.contains("vm.provision(shell, {:inline=>\"/workshop/bin/provision\"})"), out);
    }

    @Test
    void theInstalledVagrantValidatesItForBothArchitectures() {
        for (String arch : new String[] {"amd64", "arm64"}) {
            var r = Command.of("vagrant", "validate", "--ignore-provider").env("WORKSHOP_BOX_ARCH", arch).run();
            r.assertExit(0);
            assertTrue(r.stdout().contains("Vagrantfile validated successfully."), r.stdout() + r.stderr());
        }
    }
}
