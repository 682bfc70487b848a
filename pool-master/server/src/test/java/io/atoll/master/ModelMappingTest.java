package io.atoll.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.master.host.HostEntity;
import io.atoll.master.network.NetworkEntity;
import io.atoll.master.storage.StorageAttachmentEntity;
import io.atoll.master.storage.StorageRepositoryEntity;
import io.atoll.master.storage.VirtualDiskEntity;
import io.atoll.master.testing.PostgresServer;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.HostFacts;
import io.atoll.node.api.VdiInfo;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The parts of the model without an API yet (repositories, their attachments, virtual disks,
 * networks) round-trip through the Flyway schema on PostgreSQL; Hibernate's schema validation at
 * start checks every entity against it.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class ModelMappingTest {

    @Inject
    EntityManager em;

    @Test
    void storageAndNetworkObjectsRoundTrip() {
        HostFacts facts = new HostFacts(UUID.randomUUID(), "h1", 4, "cpu", 8L << 30, 4L << 30, 6L << 30, 5L << 30, 10L << 30,
                new HostFacts.KvmInfo(false, -1, false, "no /dev/kvm"), Accelerator.TCG, "7.2.0", 0);
        UUID[] ids = new UUID[5];
        QuarkusTransaction.requiringNew().run(() -> {
            HostEntity host = new HostEntity(URI.create("http://192.0.2.1:7401"), null, facts);
            StorageRepositoryEntity sr = new StorageRepositoryEntity(UUID.randomUUID(), "local", "local", false, host);
            NetworkEntity net = new NetworkEntity(new io.atoll.master.network.NetworkCreateRequest("lan",
                    io.atoll.node.api.NetworkSpec.NetworkType.EXTERNAL, "br0", 1500, null, null, null, "eth1", null, null), "br0", null, null);
            em.persist(host);
            em.persist(sr);
            em.persist(net);
            StorageAttachmentEntity pbd = new StorageAttachmentEntity(sr, host, "{\"path\":\"/srv/sr\"}");
            VirtualDiskEntity vdi = new VirtualDiskEntity(sr, new VdiInfo("root.qcow2", "root", 1L << 30, 0, null, false, false,
                    Instant.now(), Map.of()), null);
            em.persist(pbd);
            em.persist(vdi);
            ids[0] = host.getUuid();
            ids[1] = sr.getUuid();
            ids[2] = net.getUuid();
            ids[3] = pbd.getUuid();
            ids[4] = vdi.getUuid();
        });
        QuarkusTransaction.requiringNew().run(() -> {
            StorageAttachmentEntity pbd = em.find(StorageAttachmentEntity.class, ids[3]);
            assertThat(pbd.getRepository().getName()).isEqualTo("local");
            assertThat(pbd.getHost().getUuid()).isEqualTo(ids[0]);
            assertThat(pbd.getDeviceConfig()).isEqualTo("{\"path\":\"/srv/sr\"}");
            VirtualDiskEntity vdi = em.find(VirtualDiskEntity.class, ids[4]);
            assertThat(vdi.getVirtualSizeBytes()).isEqualTo(1L << 30);
            assertThat(vdi.getRepository().getUuid()).isEqualTo(ids[1]);
            assertThat(em.find(NetworkEntity.class, ids[2]).getBridge()).isEqualTo("br0");
        });
        // A VM disk is on a virtual disk or on a path, never both, never neither (the schema says so).
        assertThatThrownBy(() -> QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                "insert into vm_disk (uuid, vm_uuid, position, device_id, format, read_only, bus) "
                        + "values (?1, ?2, 0, 'disk0', 'raw', false, 'VIRTIO')")
                .setParameter(1, UUID.randomUUID()).setParameter(2, UUID.randomUUID()).executeUpdate()))
                .hasStackTraceContaining("vm_disk");
        QuarkusTransaction.requiringNew().run(() -> {
            em.remove(em.find(StorageAttachmentEntity.class, ids[3]));
            em.remove(em.find(VirtualDiskEntity.class, ids[4]));
            em.remove(em.find(StorageRepositoryEntity.class, ids[1]));
            em.remove(em.find(NetworkEntity.class, ids[2]));
            em.remove(em.find(HostEntity.class, ids[0]));
        });
    }
}
