package io.atoll.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tables, key/value lists, progress lines and error lines, from JSON as the master answers it. */
class RenderingTest {
    private static JsonNode json(String text) throws Exception {
        return MasterClient.JSON.readTree(text.replace('\'', '"'));
    }

    @Test
    void columnsAlignOnTheWidestCellWithoutTrailingBlanks() {
        String table = new Table("UUID", "NAME", "STATE").row("1", "web-server-01", "RUNNING").row("22", null, "").render();
        assertThat(table).isEqualTo("""
                UUID   NAME            STATE
                1      web-server-01   RUNNING
                22     -               -
                """);
        assertThatThrownBy(() -> new Table("A", "B").row("x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void accentedNamesStayAligned() {
        assertThat(new Table("NAME", "X").row("café", "1").row("ab", "2").render()).isEqualTo("NAME   X\ncafé   1\nab     2\n");
    }

    @Test
    void vmListShowsStateMemoryHostNameAndOperation() throws Exception {
        JsonNode vms = json("""
                [{'uuid':'aaaaaaaa-0000-0000-0000-000000000001','name':'web1','vcpus':2,'memoryMiB':2048,'powerState':'RUNNING',
                  'residentOn':'bbbbbbbb-0000-0000-0000-000000000001','currentOperation':{'operation':'CLEAN_SHUTDOWN','task':'t'},
                  'addresses':[{'nic':'nic0','mac':'52:54:00:00:00:01','ip':'10.128.0.17'},{'nic':'nic1','mac':'52:54:00:00:00:02','ip':'10.128.1.31'}]},
                 {'uuid':'aaaaaaaa-0000-0000-0000-000000000002','name':'db','vcpus':1,'memoryMiB':512,'powerState':'HALTED',
                  'residentOn':null,'currentOperation':null}]""");
        assertThat(VmCommand.table(vms, Map.of("bbbbbbbb-0000-0000-0000-000000000001", "node-a"))).isEqualTo("""
                UUID                                   NAME   POWER-STATE   VCPUS   MEMORY    HOST     OPERATION        ADDRESSES
                aaaaaaaa-0000-0000-0000-000000000001   web1   RUNNING       2       2 GiB     node-a   clean_shutdown   10.128.0.17,10.128.1.31
                aaaaaaaa-0000-0000-0000-000000000002   db     HALTED        1       512 MiB   -        -                -
                """);
    }

    @Test
    void networkListShowsTypeVniSubnetAndRealisedHosts() throws Exception {
        JsonNode networks = json("""
                [{'uuid':'n1','name':'front','type':'PRIVATE','bridge':'xapi0','vni':5000,'subnet':'10.128.0.0/24','vlan':null,'pif':null,
                  'hosts':[{'host':'h1','realised':true},{'host':'h2','realised':false}]},
                 {'uuid':'n2','name':'uplink','type':'EXTERNAL','bridge':'xapi1','vni':null,'subnet':null,'vlan':null,'pif':'eth1','hosts':[]}]""");
        assertThat(NetworkCommand.table(networks)).isEqualTo("""
                UUID   NAME     TYPE       BRIDGE   VNI/VLAN   SUBNET/PIF      HOSTS
                n1     front    PRIVATE    xapi0    5000       10.128.0.0/24   1
                n2     uplink   EXTERNAL   xapi1    -          eth1            0
                """);
    }

    @Test
    void haStatusShowsThePlanTheHostsAndTheProtectedVms() throws Exception {
        JsonNode st = json("""
                {'enabled':true,'timeoutSeconds':10,'statefileSr':'5e','hostFailuresToTolerate':1,'maxTolerable':0,'overcommitted':true,
                 'master':{'instance':'m1','clustered':true,'active':true,'epoch':7,'activeUrl':'http://m1:7400'},
                 'hosts':[{'name':'node-a','state':'alive','inView':true,'absentFromViewMs':0,'statefileStaleMs':1200,'fenced':false,'declaredDead':false},
                          {'name':'node-b','state':'dead','inView':false,'absentFromViewMs':12500,'statefileStaleMs':12000,'fenced':null,'declaredDead':true}],
                 'protectedVms':[{'name':'db','restartPriority':'restart','restartOrder':1,'startDelaySeconds':5,'powerState':'HALTED','restartPending':true}],
                 'alerts':[{'created':'2026-11-27T10:00:00Z','severity':'error','code':'HA_HOST_DEAD','message':'host node-b lost both heartbeats'}]}""");
        String text = HaCommand.render(st);
        assertThat(text).contains("HA: enabled, T = 10 s, statefile on sr 5e").contains("tolerates 0 host failure(s); configured 1 — OVERCOMMITTED")
                .contains("master: m1 (active, epoch 7)");
        assertThat(text).containsPattern("node-b +dead +false +12\\.5 s +12\\.0 s +- +true");
        assertThat(text).containsPattern("db +restart +1 +5 s +HALTED +true");
        assertThat(text).contains("HA_HOST_DEAD");
    }

    @Test
    void hostListShowsHealthWithItsReason() throws Exception {
        JsonNode hosts = json("""
                [{'uuid':'u1','name':'node-a','address':'10.0.0.5','enabled':true,'health':'UNREACHABLE','healthReason':'connection refused',
                  'cpuCount':8,'memoryTotalBytes':17179869184,'memoryFreeForVmsBytes':1610612736,'accelerator':'kvm'}]""");
        assertThat(HostCommand.table(hosts)).isEqualTo("""
                UUID   NAME     ADDRESS    ENABLED   HEALTH                             CPUS   MEMORY   FREE-FOR-VMS   ACCEL
                u1     node-a   10.0.0.5   true      UNREACHABLE (connection refused)   8      16 GiB   1.5 GiB        kvm
                """);
    }

    @Test
    void taskListShowsTheObjectAndTheErrorCode() throws Exception {
        JsonNode tasks = json("""
                [{'uuid':'t1','name':'vm.start','status':'FAILURE','progress':0.2,'created':'2026-11-27T16:53:08.786412Z',
                  'object':{'class':'vm','uuid':'v1'},'error':{'code':'NO_HOST_AVAILABLE','message':'no host','object':'vm v1'}}]""");
        assertThat(TaskCommand.table(tasks)).isEqualTo("""
                UUID   NAME       STATUS    PROGRESS   OBJECT   CREATED                ERROR
                t1     vm.start   FAILURE   20%        vm v1    2026-11-27 16:53:08Z   NO_HOST_AVAILABLE
                """);
    }

    @Test
    void showFlattensNestedFieldsLikeXeParamList() throws Exception {
        JsonNode vm = json("""
                {'uuid':'v1','name':'web1','boot':{'kernel':'/k','initrd':null},'disks':[{'id':'disk0','path':'/d'}],
                 'allowedOperations':['START','DESTROY'],'nics':[]}""");
        assertThat(Output.keyValues(vm)).isEqualTo("""
                uuid:              v1
                name:              web1
                boot.kernel:       /k
                boot.initrd:       -
                disks[0].id:       disk0
                disks[0].path:     /d
                allowedOperations: START, DESTROY
                nics:              -
                """);
    }

    @Test
    void sizesInBinaryUnits() {
        assertThat(Output.bytes(0)).isEqualTo("0 B");
        assertThat(Output.bytes(512L * 1024 * 1024)).isEqualTo("512 MiB");
        assertThat(Output.bytes(1536L * 1024 * 1024)).isEqualTo("1.5 GiB");
        assertThat(Output.bytes(-1)).isEqualTo("-");
    }

    @Test
    void progressBarsAndTheirPlainLines() throws Exception {
        assertThat(TaskFollower.describe(json("{'name':'vm.start','status':'RUNNING','progress':0.5}")))
                .isEqualTo("vm.start [###############               ]  50% RUNNING");
        assertThat(TaskFollower.describe(json("{'name':'vm.destroy','status':'SUCCESS','progress':1}")))
                .isEqualTo("vm.destroy [##############################] 100% SUCCESS");
    }

    @Test
    void aFailedTaskBecomesItsOwnErrorLine() throws Exception {
        JsonNode failed = json("{'uuid':'t1','name':'vm.start','status':'FAILURE','error':{'code':'NO_HOST_AVAILABLE',"
                + "'message':'no host can run it','object':'vm v1'}}");
        assertThatThrownBy(() -> TaskFollower.outcome(failed)).isInstanceOfSatisfying(CliException.class, e -> {
            assertThat(e.line()).isEqualTo("error: NO_HOST_AVAILABLE: no host can run it (vm v1)");
            assertThat(e.exitCode()).isEqualTo(1);
        });
        assertThat(TaskFollower.outcome(json("{'status':'SUCCESS'}"))).isZero();
    }

    @Test
    void serverErrorsKeepTheirCodeAndNonJsonAnswersAreNamed() {
        assertThatThrownBy(() -> MasterClient.answer("GET", "/api/v1/vms/x", 404,
                "{\"code\":\"VM_NOT_FOUND\",\"message\":\"no VM x\",\"object\":\"vm x\"}"))
                .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.line()).isEqualTo("error: VM_NOT_FOUND: no VM x (vm x)"));
        assertThatThrownBy(() -> MasterClient.answer("GET", "/api/v1/srs", 502, "<html>Bad Gateway</html>"))
                .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.line())
                        .isEqualTo("error: HTTP_502: GET /api/v1/srs answered HTTP 502: <html>Bad Gateway</html>"));
        assertThatThrownBy(() -> MasterClient.answer("GET", "/api/v1/vms", 401, "{\"code\":\"UNAUTHORIZED\",\"message\":\"no token\",\"object\":null}"))
                .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.line()).startsWith("error: UNAUTHORIZED: no token (atoll login --user NAME, or --token)"));
        assertThat(MasterClient.answer("DELETE", "/api/v1/hosts/h", 204, "").isMissingNode()).isTrue();
    }

    @Test
    void eventLinesNameTheObjectAndItsState() throws Exception {
        JsonNode event = json("{'id':42,'class':'vm','operation':'mod','ref':'aaaaaaaa-0000-0000-0000-000000000001',"
                + "'timestamp':'2026-11-27T16:53:08.1Z','snapshot':{'name':'web1','powerState':'RUNNING'}}");
        assertThat(EventCommand.line(event))
                .isEqualTo("42       2026-11-27 16:53:08Z vm    mod  aaaaaaaa-0000-0000-0000-000000000001 web1 RUNNING");
    }
}
