package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The VM list in pages ({@code ?limit=N&after=NAME}): following the {@code Link: rel="next"}
 * headers gives exactly the unpaged list, in its order, no page larger than asked, the last one
 * without a link; a filter by kind pages too; bad paging parameters are refused naming the fix.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class VmListPagingTest {
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>; rel=\"next\"");

    @Test
    void followingTheNextLinksGivesTheWholeListInOrder() throws Exception {
        String prefix = "paged-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<String> created = new ArrayList<>();
        try {
            for (int i = 0; i < 7; i++) {
                created.add(api().body("{\"name\": \"" + prefix + i + "\", \"memoryMiB\": 32}").post("/api/v1/vms").then().statusCode(201)
                        .extract().path("uuid"));
            }
            List<String> whole = api().get("/api/v1/vms").then().statusCode(200).extract().jsonPath().getList("name");
            assertThat(whole).containsAll(created.stream().map(u -> api().get("/api/v1/vms/" + u).then().extract().<String>path("name")).toList());

            List<String> paged = new ArrayList<>();
            String next = "/api/v1/vms?limit=2";
            int pages = 0;
            while (next != null) {
                Response page = api().get(next).then().statusCode(200).extract().response();
                List<String> names = page.jsonPath().getList("name");
                assertThat(names.size()).as("page %d", pages).isLessThanOrEqualTo(2);
                paged.addAll(names);
                String link = page.header("Link");
                if (link == null) {
                    assertThat(names.size()).as("only a page that is not full ends the list, or an empty one").isLessThanOrEqualTo(2);
                    next = null;
                } else {
                    Matcher m = NEXT.matcher(link);
                    assertThat(m.find()).as("Link header %s", link).isTrue();
                    next = m.group(1);
                }
                pages++;
                assertThat(pages).as("pages end").isLessThan(whole.size() + 2);
            }
            assertThat(paged).as("the pages, in order, are the whole list").containsExactlyElementsOf(whole);

            // By kind, and a name that is gone still places the page.
            List<String> vmsOnly = api().get("/api/v1/vms?kind=vm").then().extract().jsonPath().getList("name");
            List<String> afterFirst = api().get("/api/v1/vms?kind=vm&limit=1000&after=" + prefix + "2x").then().statusCode(200)
                    .extract().jsonPath().getList("name");
            assertThat(afterFirst).as("a tail of the list by kind").isEqualTo(vmsOnly.subList(vmsOnly.size() - afterFirst.size(), vmsOnly.size()));
            assertThat(afterFirst.stream().filter(n -> n.startsWith(prefix)))
                    .containsExactly(prefix + "3", prefix + "4", prefix + "5", prefix + "6");

            // Bad paging.
            api().get("/api/v1/vms?limit=0").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"))
                    .body("message", containsString("give 1 to 1000"));
            api().get("/api/v1/vms?limit=lots").then().statusCode(400).body("message", containsString("'limit' is 'lots'"));
            api().get("/api/v1/vms?limit=1001").then().statusCode(400);
            api().get("/api/v1/vms?after=x").then().statusCode(400).body("message", containsString("give 'limit' too"));
            api().get("/api/v1/vms?limit=5&afterUuid=" + UUID.randomUUID()).then().statusCode(400).body("message", containsString("give both"));
            api().get("/api/v1/vms?limit=5&after=x&afterUuid=nope").then().statusCode(400).body("message", containsString("not a uuid"));
        } finally {
            for (String vm : created) {
                succeeded(api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid"), Duration.ofSeconds(30));
            }
        }
    }
}
