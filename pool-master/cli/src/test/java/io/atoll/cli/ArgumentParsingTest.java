package io.atoll.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line as picocli reads it, and what the commands build from it — no server needed. */
class ArgumentParsingTest {
    @TempDir
    Path config;

    private Atoll parse(Map<String, String> env, String... args) {
        CommandLine cl = Atoll.commandLine(new TestContext(config, env).context);
        cl.parseArgs(args);
        return cl.getCommand();
    }

    @Test
    void globalOptionsWorkBeforeAndAfterTheSubcommand() {
        Atoll before = parse(Map.of(), "--output", "json", "--server", "http://10.0.0.2:7400", "vm", "list");
        Atoll after = parse(Map.of(), "vm", "list", "-o", "JSON", "--server", "http://10.0.0.2:7400/", "--token", "t0k");
        for (Atoll atoll : List.of(before, after)) {
            assertThat(atoll.json()).isTrue();
            assertThat(atoll.serverUrl()).isEqualTo(URI.create("http://10.0.0.2:7400"));
        }
        assertThat(after.bearerToken(after.serverUrl())).isEqualTo("t0k");
        assertThat(parse(Map.of(), "vm", "list").json()).as("table by default").isFalse();
    }

    @Test
    void severalMasterInstancesAreGivenAsAListTriedInTurn() {
        Atoll atoll = parse(Map.of(), "ha", "status", "--server", "http://m1:7400,http://m2:7400/, http://m3:7400");
        assertThat(atoll.serverUrls()).containsExactly(URI.create("http://m1:7400"), URI.create("http://m2:7400"), URI.create("http://m3:7400"));
        assertThat(atoll.serverUrl()).isEqualTo(URI.create("http://m1:7400"));
        new Credentials("http://m1:7400,http://m2:7400", "admin", "stored-token").save(config);
        Atoll stored = parse(Map.of(), "vm", "list");
        assertThat(stored.serverUrls()).hasSize(2);
        assertThat(stored.bearerToken(stored.serverUrl())).isEqualTo("stored-token");
        assertThatThrownBy(() -> parse(Map.of(), "vm", "list", "--server", "http://m1:7400,ftp://m2").serverUrls())
                .isInstanceOf(CliException.class).hasMessageContaining("ftp://m2");
    }

    @Test
    void theServerComesFromTheOptionThenTheEnvironmentThenTheLoginThenTheDefault() {
        assertThat(parse(Map.of(), "vm", "list").serverUrl()).isEqualTo(URI.create(Atoll.DEFAULT_SERVER));
        new Credentials("http://stored:7400", "admin", "stored-token").save(config);
        assertThat(parse(Map.of(), "vm", "list").serverUrl()).isEqualTo(URI.create("http://stored:7400"));
        assertThat(parse(Map.of("ATOLL_SERVER", "http://env:7400"), "vm", "list").serverUrl()).isEqualTo(URI.create("http://env:7400"));
        assertThat(parse(Map.of("ATOLL_SERVER", "http://env:7400"), "vm", "list", "--server", "https://opt").serverUrl())
                .isEqualTo(URI.create("https://opt"));
    }

    @Test
    void theStoredTokenGoesOnlyToTheServerThatIssuedIt() {
        new Credentials("http://stored:7400", "admin", "stored-token").save(config);
        Atoll same = parse(Map.of(), "vm", "list");
        assertThat(same.bearerToken(same.serverUrl())).isEqualTo("stored-token");
        Atoll other = parse(Map.of(), "vm", "list", "--server", "http://elsewhere:7400");
        assertThat(other.bearerToken(other.serverUrl())).isNull();
        Atoll env = parse(Map.of("ATOLL_TOKEN", "env-token"), "vm", "list", "--server", "http://elsewhere:7400");
        assertThat(env.bearerToken(env.serverUrl())).isEqualTo("env-token");
    }

    @Test
    void credentialsAreWrittenOwnerOnly() throws Exception {
        Path dir = config.resolve("atoll");
        Path file = new Credentials("http://m:7400", "admin", "secret").save(dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(Credentials.load(dir)).contains(new Credentials("http://m:7400", "admin", "secret"));
        assertThat(new Credentials("http://m:7400", "admin", "secret").toString()).doesNotContain("secret");
    }

    @Test
    void aServerThatIsNoUrlIsAUsageError() {
        TestContext run = new TestContext(config, Map.of());
        assertThat(run.run("vm", "list", "--server", "10.0.0.2:7400")).isEqualTo(Atoll.USAGE);
        assertThat(run.err()).contains("error: INVALID_SERVER: server '10.0.0.2:7400' is not a URL");
    }

    @Test
    void everyCommandHasHelp() {
        TestContext run = new TestContext(config, Map.of());
        assertThat(run.run("vm", "shutdown", "--help")).isZero();
        assertThat(run.out()).contains("Usage: atoll vm shutdown").contains("--force").contains("--timeout=S").contains("--async");
        TestContext version = new TestContext(config, Map.of());
        assertThat(version.run("--version")).isZero();
        assertThat(version.out()).startsWith("atoll ");
    }

    @Test
    void usageErrorsExitWithTwo() {
        TestContext run = new TestContext(config, Map.of());
        assertThat(run.run()).isEqualTo(2);
        assertThat(run.err()).contains("Missing required subcommand");
        assertThat(new TestContext(config, Map.of()).run("vm", "frobnicate")).isEqualTo(2);
        assertThat(new TestContext(config, Map.of()).run("vm", "list", "--output", "yaml")).isEqualTo(2);
        TestContext missing = new TestContext(config, Map.of());
        assertThat(missing.run("vm", "start")).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required parameter: 'VM'");
    }

    @Test
    void anUnreachableMasterIsNamedWithExitThree() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        TestContext run = new TestContext(config, Map.of());
        assertThat(run.run("vm", "list", "--server", "http://127.0.0.1:" + port)).isEqualTo(3);
        assertThat(run.err()).startsWith("error: SERVER_UNREACHABLE: cannot reach the pool master at http://127.0.0.1:" + port
                + ": connection refused");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void vmCreateBuildsTheServersRequest() {
        ObjectNode body = VmCommand.createRequest(null, "web1", "2G", 2,
                List.of("/srv/web1.qcow2,boot=1", "/srv/data.raw,format=raw,ro,bus=ide"), List.of("user", "tap=tap0,mac=52:54:00:00:00:01"),
                "/boot/vmlinuz", null, "console=ttyS0", "tcg", null);
        assertThat(body.toString()).isEqualTo("{\"name\":\"web1\",\"memoryMiB\":2048,\"vcpus\":2,"
                + "\"disks\":[{\"path\":\"/srv/web1.qcow2\",\"bootIndex\":1},{\"path\":\"/srv/data.raw\",\"format\":\"raw\",\"readOnly\":true,\"bus\":\"IDE\"}],"
                + "\"nics\":[{\"mode\":\"USER\"},{\"mode\":\"TAP\",\"ifname\":\"tap0\",\"mac\":\"52:54:00:00:00:01\"}],"
                + "\"boot\":{\"kernel\":\"/boot/vmlinuz\",\"cmdline\":\"console=ttyS0\"},\"accelerator\":\"TCG\"}");
    }

    @Test
    void aSpecFileIsTheBaseAndOptionsOverrideIt() throws Exception {
        ObjectNode spec = (ObjectNode) MasterClient.JSON.readTree("{\"name\":\"from-file\",\"memoryMiB\":64,\"machine\":\"q35\"}");
        ObjectNode body = VmCommand.createRequest(spec, "renamed", "128", null, null, null, null, null, null, null, null);
        assertThat(body.toString()).isEqualTo("{\"name\":\"renamed\",\"memoryMiB\":128,\"machine\":\"q35\"}");
    }

    @Test
    void sizesAndDeviceOptionsRefuseWhatTheyCannotRead() {
        assertThat(VmCommand.mebibytes("512")).isEqualTo(512);
        assertThat(VmCommand.mebibytes("512MiB")).isEqualTo(512);
        assertThat(VmCommand.mebibytes("1g")).isEqualTo(1024);
        assertThat(VmCommand.mebibytes("2GiB")).isEqualTo(2048);
        assertThatThrownBy(() -> VmCommand.mebibytes("lots")).isInstanceOf(CliException.class).hasMessageContaining("512M");
        assertThatThrownBy(() -> VmCommand.mebibytes("-5")).isInstanceOf(CliException.class);
        assertThatThrownBy(() -> VmCommand.disk("/srv/a.raw,cache=none")).isInstanceOf(CliException.class)
                .hasMessageContaining("'cache' is not one of size=, format=, boot=, ro, bus=, id=");
        // A new disk in a repository, and an existing virtual disk.
        assertThat(VmCommand.disk("sr=local,size=64M,boot=0").toString()).isEqualTo("{\"sr\":\"local\",\"sizeBytes\":67108864,\"bootIndex\":0}");
        assertThat(VmCommand.disk("vdi=3f2a,ro").toString()).isEqualTo("{\"vdi\":\"3f2a\",\"readOnly\":true}");
        assertThatThrownBy(() -> VmCommand.disk("sr=")).isInstanceOf(CliException.class).hasMessageContaining("sr= needs a value");
        assertThatThrownBy(() -> VmCommand.disk("/srv/a.raw,boot=first")).isInstanceOf(CliException.class);
        assertThatThrownBy(() -> VmCommand.nic("bridge=br0")).isInstanceOf(CliException.class).hasMessageContaining("user or tap=IFNAME");
        assertThat(VmCommand.nic("network=front,rate=10000,mac=52:54:00:00:00:07").toString())
                .isEqualTo("{\"mode\":\"NETWORK\",\"network\":\"front\",\"rateKbit\":10000,\"mac\":\"52:54:00:00:00:07\"}");
        assertThat(NetworkCommand.createRequest("back", "private", "10.9.0.0/24", 6001, true, null, null, null, null, null).toString())
                .isEqualTo("{\"name\":\"back\",\"type\":\"PRIVATE\",\"subnet\":\"10.9.0.0/24\",\"vni\":6001,\"dhcp\":false}");
        assertThat(VmCommand.vifRequest("n1", null, 512, "nic3").toString()).isEqualTo("{\"network\":\"n1\",\"rateKbit\":512,\"id\":\"nic3\"}");
        assertThatThrownBy(() -> VmCommand.nic("tap")).isInstanceOf(CliException.class).hasMessageContaining("tap= needs a value");
        assertThat(new TestContext(config, Map.of()).run("vm", "create", "x", "--memory", "lots")).isEqualTo(Atoll.USAGE);
    }

    @Test
    void hostJoinTellsAnAddressFromAUrlAndReadsTheTokenFile() throws Exception {
        Path token = Files.writeString(config.resolve("token"), "s3cret\n");
        assertThat(HostCommand.joinRequest("10.0.0.5", null, token).toString()).isEqualTo("{\"address\":\"10.0.0.5\",\"agentToken\":\"s3cret\"}");
        assertThat(HostCommand.joinRequest("http://10.0.0.5:7401", null, null).toString()).isEqualTo("{\"agentUrl\":\"http://10.0.0.5:7401\"}");
        TestContext both = new TestContext(config, Map.of());
        assertThat(both.run("host", "join", "h", "--agent-token", "a", "--agent-token-file", token.toString())).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    void joinTokenCreateReadsDurationsAndUses() {
        assertThat(PoolCommand.JoinTokens.createRequest(null, null).toString()).isEqualTo("{}");
        assertThat(PoolCommand.JoinTokens.createRequest("2h", 3).toString()).isEqualTo("{\"expiresInMinutes\":120,\"uses\":3}");
        assertThat(PoolCommand.JoinTokens.minutes("90")).isEqualTo(90);
        assertThat(PoolCommand.JoinTokens.minutes("60m")).isEqualTo(60);
        assertThat(PoolCommand.JoinTokens.minutes("30min")).isEqualTo(30);
        assertThat(PoolCommand.JoinTokens.minutes("1d")).isEqualTo(1440);
        assertThatThrownBy(() -> PoolCommand.JoinTokens.minutes("soon")).isInstanceOf(CliException.class).hasMessageContaining("60m, 2h or 1d");
        TestContext week = new TestContext(config, Map.of());
        assertThat(week.run("pool", "join-token", "create", "--expires-in", "1w")).isEqualTo(Atoll.USAGE);
        assertThat(week.err()).contains("error: INVALID_DURATION: --expires-in '1w'");
        TestContext revoke = new TestContext(config, Map.of());
        assertThat(revoke.run("pool", "join-token", "revoke", "first")).isEqualTo(1);
        assertThat(revoke.err()).contains("error: JOIN_TOKEN_NOT_FOUND: 'first' is not a join token id");
        TestContext help = new TestContext(config, Map.of());
        assertThat(help.run("pool", "join-token", "--help")).isZero();
        assertThat(help.out()).contains("create").contains("list").contains("revoke").contains("atoll host join --master URL --token TOKEN");
    }

    @Test
    void hostJoinOnTheHostSendsTheJoinTokenAndTheLocalAgentsToken() throws Exception {
        Path token = Files.writeString(config.resolve("agent-token"), "agent-s3cret\n");
        assertThat(HostCommand.tokenJoinRequest("atj_x", "http://127.0.0.1:7401", null, token).toString())
                .isEqualTo("{\"joinToken\":\"atj_x\",\"agentUrl\":\"http://127.0.0.1:7401\",\"agentToken\":\"agent-s3cret\"}");
        assertThat(HostCommand.tokenJoinRequest("atj_x", "10.0.0.5:7401", "t", null).toString())
                .isEqualTo("{\"joinToken\":\"atj_x\",\"agentUrl\":\"http://10.0.0.5:7401\",\"agentToken\":\"t\"}");
        // The agent's address: the one this host sends from towards the master (loopback for a master on loopback).
        assertThat(HostCommand.defaultAgentUrl(URI.create("http://127.0.0.1:7400"))).isEqualTo("http://127.0.0.1:7401");

        TestContext noToken = new TestContext(config, Map.of());
        assertThat(noToken.run("host", "join", "--master", "http://127.0.0.1:9")).isEqualTo(Atoll.USAGE);
        assertThat(noToken.err()).contains("--master needs --token JOINTOKEN");
        TestContext userToken = new TestContext(config, Map.of());
        assertThat(userToken.run("host", "join", "--master", "http://127.0.0.1:9", "--token", "atl_mine")).isEqualTo(Atoll.USAGE);
        assertThat(userToken.err()).contains("--token holds a user's token");
        TestContext both = new TestContext(config, Map.of());
        assertThat(both.run("host", "join", "10.0.0.5", "--master", "http://127.0.0.1:9", "--token", "atj_x")).isEqualTo(Atoll.USAGE);
        assertThat(both.err()).contains("not both");
        TestContext neither = new TestContext(config, Map.of());
        assertThat(neither.run("host", "join")).isEqualTo(Atoll.USAGE);
        assertThat(neither.err()).contains("give ADDRESS|URL");
        TestContext urlAlone = new TestContext(config, Map.of());
        assertThat(urlAlone.run("host", "join", "10.0.0.5", "--agent-url", "http://10.0.0.5:7401")).isEqualTo(Atoll.USAGE);
        assertThat(urlAlone.err()).contains("--agent-url goes with --master");

        // No login needed, and the master named by --master is the one called, not the stored or default one.
        new Credentials("http://stored:7400", "admin", "stored-token").save(config);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        TestContext absent = new TestContext(config, Map.of());
        assertThat(absent.run("host", "join", "--master", "http://127.0.0.1:" + port, "--token", "atj_x", "--agent-url", "http://127.0.0.1:7401",
                "--agent-token-file", token.toString())).isEqualTo(3);
        assertThat(absent.err()).startsWith("error: SERVER_UNREACHABLE: cannot reach the pool master at http://127.0.0.1:" + port);
        // The agent's token file from the variable the agent is configured with; one that cannot be read is a local error.
        TestContext unreadable = new TestContext(config, Map.of("ATOLL_AGENT_TOKEN_FILE", config.resolve("missing").toString()));
        assertThat(unreadable.run("host", "join", "--master", "http://127.0.0.1:" + port, "--token", "atj_x", "--agent-url",
                "http://127.0.0.1:7401")).isEqualTo(4);
        assertThat(unreadable.err()).contains("error: TOKEN_FILE_UNREADABLE: cannot read the agent token " + config.resolve("missing"));
    }

    @Test
    void shutdownOptionsBecomeTheBody() {
        assertThat(VmCommand.shutdownBody(true, null).toString()).isEqualTo("{\"force\":true}");
        assertThat(VmCommand.shutdownBody(false, 30).toString()).isEqualTo("{\"force\":false,\"timeoutSeconds\":30}");
    }

    @Test
    void loginWithoutATerminalOrPasswordFileSaysWhatToGive() {
        TestContext run = new TestContext(config, Map.of());
        assertThat(run.run("login", "--server", "http://127.0.0.1:9", "--user", "admin")).isEqualTo(Atoll.USAGE);
        assertThat(run.err()).contains("error: NO_TERMINAL: no terminal to ask the password on: give --password-file FILE");
    }
}
