package io.atoll.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

/** A run of the CLI in this JVM: what it printed and its exit code. */
final class TestContext {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final Context context;

    TestContext(Path configDir, Map<String, String> env) {
        context = new Context(new PrintWriter(out, true), new PrintWriter(err, true), env, configDir, false, null);
    }

    int run(String... args) {
        return Atoll.run(args, context);
    }

    String out() {
        return out.toString();
    }

    String err() {
        return err.toString();
    }
}
