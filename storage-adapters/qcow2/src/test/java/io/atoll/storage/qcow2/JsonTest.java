package io.atoll.storage.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesAndReadsBack() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("driver", "raw");
        m.put("offset", 1048576L);
        m.put("text", "quote \" backslash \\ newline \n tab \t ü");
        m.put("flags", List.of(true, false));
        m.put("none", null);
        m.put("file", Map.of("direct", true));
        String json = Json.write(m);
        assertThat(json).startsWith("{\"driver\":\"raw\",\"offset\":1048576,");
        assertThat(Json.parse(json)).isEqualTo(m);
    }

    @Test
    void readsQemuImgOutput() {
        Object v = Json.parse("[{ \"start\": 0, \"length\": 5242880, \"depth\": 0, \"present\": true, \"data\": false},\n"
                + "{ \"start\": 5242880, \"length\": 1.5e3, \"zero\": null, \"s\": \"\\u00fc\"}]");
        Map<String, Object> second = new LinkedHashMap<>();
        second.put("start", 5242880L);
        second.put("length", 1500.0);
        second.put("zero", null);
        second.put("s", "ü");
        assertThat(v).isEqualTo(List.of(Map.of("start", 0L, "length", 5242880L, "depth", 0L, "present", true, "data", false), second));
    }

    @Test
    void refusesBrokenText() {
        assertThatThrownBy(() -> Json.parse("{\"a\": 1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.parse("[1] x")).isInstanceOf(IllegalArgumentException.class);
    }
}
