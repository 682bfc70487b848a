package io.atoll.master.auth.audit;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** One write through the API: who, what, when, with what result. Never a body: no secret can land here. */
@Entity
@Table(name = "audit_record")
public class AuditEntity {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;
    private Instant at;
    private String username;
    private String role;
    private String method;
    private String path;
    private String object;
    private int status;
    private String errorCode;

    protected AuditEntity() {
    }

    AuditEntity(AuditRecord r) {
        this.at = r.at();
        this.username = r.username();
        this.role = r.role();
        this.method = r.method();
        this.path = r.path();
        this.object = r.object();
        this.status = r.status();
        this.errorCode = r.errorCode();
    }

    AuditRecord view() {
        return new AuditRecord(id, at, username, role, method, path, object, status, errorCode);
    }
}
