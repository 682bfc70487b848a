package io.atoll.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

/** Waits for a Quarkus process the bench started to answer {@code /q/health/ready}. */
final class QuarkusReady {
    private QuarkusReady() {
    }

    /**
     * Returns once {@code base/q/health/ready} answers 200; fails when the process exits first or
     * the bound passes, with what {@code log} gives (the process's output) in the message.
     */
    static void await(Process process, String base, Duration bound, String what, Callable<String> log) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(what + " exited at start:\n" + log.call());
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " was not ready within " + bound.toSeconds() + " s:\n" + log.call());
            }
            Thread.sleep(50);
        }
    }
}
