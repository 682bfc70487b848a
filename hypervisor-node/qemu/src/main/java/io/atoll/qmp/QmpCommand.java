package io.atoll.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The QMP commands Atoll uses, as typed records. Each knows its wire name, its arguments, and the
 * type its {@code return} value maps to. {@link Raw} covers anything else.
 *
 * @param <R> the result type
 */
public sealed interface QmpCommand<R> {

    /** The command's name on the wire. */
    String name();

    /** The {@code arguments} object; empty for none. */
    default Map<String, Object> arguments() {
        return Map.of();
    }

    /** The Java type of the command's {@code return} value. */
    Class<R> resultType();

    /** Marker for commands whose result is an empty object. */
    record Empty() {
    }

    /** {@code query-status}: whether the vCPUs run, and the run state. */
    record QueryStatus() implements QmpCommand<StatusInfo> {
        public String name() { return "query-status"; }
        public Class<StatusInfo> resultType() { return StatusInfo.class; }
    }

    /** The answer of {@code query-status}. {@code status} is e.g. running, paused, prelaunch, inmigrate, postmigrate, shutdown. */
    record StatusInfo(boolean running, String status, Boolean singlestep) {
    }

    /** {@code query-uuid}. */
    record QueryUuid() implements QmpCommand<UuidInfo> {
        public String name() { return "query-uuid"; }
        public Class<UuidInfo> resultType() { return UuidInfo.class; }
    }

    /** The answer of {@code query-uuid}. */
    record UuidInfo(String UUID) {
    }

    /** {@code query-name}. */
    record QueryName() implements QmpCommand<NameInfo> {
        public String name() { return "query-name"; }
        public Class<NameInfo> resultType() { return NameInfo.class; }
    }

    /** The answer of {@code query-name}. */
    record NameInfo(String name) {
    }

    /** {@code query-version}. */
    record QueryVersion() implements QmpCommand<JsonNode> {
        public String name() { return "query-version"; }
        public Class<JsonNode> resultType() { return JsonNode.class; }
    }

    /** {@code stop}: pause the vCPUs. */
    record Stop() implements QmpCommand<Empty> {
        public String name() { return "stop"; }
        public Class<Empty> resultType() { return Empty.class; }
    }

    /** {@code cont}: run the vCPUs. */
    record Cont() implements QmpCommand<Empty> {
        public String name() { return "cont"; }
        public Class<Empty> resultType() { return Empty.class; }
    }

    /** {@code system_powerdown}: press the ACPI power button. */
    record SystemPowerdown() implements QmpCommand<Empty> {
        public String name() { return "system_powerdown"; }
        public Class<Empty> resultType() { return Empty.class; }
    }

    /** {@code system_reset}: the reset button. */
    record SystemReset() implements QmpCommand<Empty> {
        public String name() { return "system_reset"; }
        public Class<Empty> resultType() { return Empty.class; }
    }

    /** {@code quit}: QEMU exits at once (disks are flushed). */
    record Quit() implements QmpCommand<Empty> {
        public String name() { return "quit"; }
        public Class<Empty> resultType() { return Empty.class; }
    }

    /** {@code migrate}: send the VM's state to {@code uri} ({@code unix:PATH}, {@code tcp:HOST:PORT}). */
    record Migrate(String uri) implements QmpCommand<Empty> {
        public String name() { return "migrate"; }
        public Map<String, Object> arguments() { return Map.of("uri", uri); }
        public Class<Empty> resultType() { return Empty.class; }
    }

    /** {@code migrate-incoming}: receive state on {@code uri} (QEMU started with {@code -incoming defer}). */
    record MigrateIncoming(String uri) implements QmpCommand<Empty> {
        public String name() { return "migrate-incoming"; }
        public Map<String, Object> arguments() { return Map.of("uri", uri); }
        public Class<Empty> resultType() { return Empty.class; }
    }

    /** {@code migrate_cancel}. */
    record MigrateCancel() implements QmpCommand<Empty> {
        public String name() { return "migrate_cancel"; }
        public Class<Empty> resultType() { return Empty.class; }
    }

    /** {@code query-migrate}. */
    record QueryMigrate() implements QmpCommand<MigrationInfo> {
        public String name() { return "query-migrate"; }
        public Class<MigrationInfo> resultType() { return MigrationInfo.class; }
    }

    /**
     * The answer of {@code query-migrate} (the fields Atoll reads). {@code status} is none, setup,
     * active, completed, failed, cancelling, cancelled…
     */
    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    record MigrationInfo(String status, JsonNode ram, Long downtime, @com.fasterxml.jackson.annotation.JsonProperty("total-time") Long totalTime,
                         @com.fasterxml.jackson.annotation.JsonProperty("error-desc") String errorDesc,
                         @com.fasterxml.jackson.annotation.JsonProperty("expected-downtime") Long expectedDowntime,
                         @com.fasterxml.jackson.annotation.JsonProperty("socket-address") JsonNode socketAddress) {
    }

    /** {@code migrate-set-parameters}: downtime-limit (ms), max-bandwidth (bytes/s)… */
    record MigrateSetParameters(Map<String, Object> parameters) implements QmpCommand<Empty> {
        public String name() { return "migrate-set-parameters"; }
        public Map<String, Object> arguments() { return parameters; }
        public Class<Empty> resultType() { return Empty.class; }
    }

    /** {@code migrate-set-capabilities}. */
    record MigrateSetCapabilities(Map<String, Boolean> capabilities) implements QmpCommand<Empty> {
        public String name() { return "migrate-set-capabilities"; }
        public Map<String, Object> arguments() {
            return Map.of("capabilities", capabilities.entrySet().stream()
                    .map(e -> Map.of("capability", e.getKey(), "state", e.getValue())).toList());
        }
        public Class<Empty> resultType() { return Empty.class; }
    }

    /** {@code query-block}: the VM's block devices. */
    record QueryBlock() implements QmpCommand<JsonNode> {
        public String name() { return "query-block"; }
        public Class<JsonNode> resultType() { return JsonNode.class; }
    }

    /** {@code human-monitor-command}: an HMP command line, for diagnostics only. */
    record HumanMonitorCommand(String commandLine) implements QmpCommand<String> {
        public String name() { return "human-monitor-command"; }
        public Map<String, Object> arguments() { return Map.of("command-line", commandLine); }
        public Class<String> resultType() { return String.class; }
    }

    /** Any other command, with a free-form argument object and a JSON result. */
    record Raw(String name, Map<String, Object> arguments) implements QmpCommand<JsonNode> {
        public Raw {
            arguments = arguments == null ? Map.of() : new LinkedHashMap<>(arguments);
        }
        public Class<JsonNode> resultType() { return JsonNode.class; }
    }
}
