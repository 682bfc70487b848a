package io.atoll.agent;

import io.atoll.node.api.NodeErrorCode;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Requires {@code Authorization: Bearer TOKEN} on the API when a token file is configured. The
 * token never appears in a log; only the file's path does.
 */
@ApplicationScoped
@Startup
public class TokenFilter {
    private static final Logger LOG = Logger.getLogger(TokenFilter.class);

    @Inject
    AgentConfig config;

    private byte[] token;

    @PostConstruct
    void load() {
        config.tokenFile().ifPresentOrElse(file -> {
            token = readOrCreate(file).getBytes(StandardCharsets.UTF_8);
            LOG.infof("API requires the bearer token in %s", file);
        }, () -> LOG.warn("no atoll.agent.token-file set: the API is open to anyone who reaches this port; bind it to loopback"));
    }

    private static String readOrCreate(Path file) {
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                byte[] raw = new byte[32];
                new SecureRandom().nextBytes(raw);
                Files.writeString(file, HexFormat.of().formatHex(raw) + "\n");
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the agent token file " + file, e);
        }
    }

    @ServerRequestFilter
    public Response check(ContainerRequestContext request) {
        if (token == null || !request.getUriInfo().getPath().startsWith("/api/")) {
            return null;
        }
        String header = request.getHeaderString("Authorization");
        if (header != null && header.startsWith("Bearer ")
                && MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8), token)) {
            return null;
        }
        return ErrorMappers.error(NodeErrorCode.UNAUTHORIZED,
                "missing or wrong bearer token: send 'Authorization: Bearer <token>' with the token from the agent's token file", null);
    }
}
