package io.atoll.bench;

import io.atoll.storage.iscsi.IscsiAdapterFactory;
import io.atoll.storage.iscsi.TgtServer;
import io.atoll.storage.local.LocalStoragePlugin;
import io.atoll.storage.nfs.GaneshaServer;
import io.atoll.storage.nfs.NfsStoragePlugin;
import io.atoll.storage.lvm.LoopDevice;
import io.atoll.storage.lvm.LvmAdapterFactory;
import io.atoll.storage.spi.StorageAdapterFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The storage each adapter needs for a benchmark run, set up on this machine with the adapters'
 * own test fixtures (a loop device as a shared LUN, servers on loopback).
 */
final class StorageRigs {
    private StorageRigs() {
    }

    /** An adapter and where its repository goes; closing it removes what the rig set up. */
    interface Rig extends AutoCloseable {
        String name();

        StorageAdapterFactory factory();

        Map<String, String> location(Path scratch, String srUuid);

        @Override
        default void close() throws Exception {
        }
    }

    static List<Rig> all(Path dir) {
        return List.of(local(), nfs(), lvm(dir), iscsi());
    }

    static Rig local() {
        return new Rig() {
            public String name() {
                return "local";
            }

            public StorageAdapterFactory factory() {
                return new LocalStoragePlugin.Factory();
            }

            public Map<String, String> location(Path scratch, String srUuid) {
                return Map.of("path", scratch.resolve("sr-" + srUuid).toString());
            }
        };
    }

    static Rig nfs() {
        return new Rig() {
            private GaneshaServer server;

            public String name() {
                return "nfs";
            }

            public StorageAdapterFactory factory() {
                return new NfsStoragePlugin.Factory();
            }

            public Map<String, String> location(Path scratch, String srUuid) {
                try {
                    server = GaneshaServer.launch();
                } catch (Exception e) {
                    throw new IllegalStateException("cannot start nfs-ganesha: " + e.getMessage(), e);
                }
                return Map.of("server", GaneshaServer.HOST, "export", server.exportPath(), "path", "sr-" + srUuid);
            }

            @Override
            public void close() throws Exception {
                if (server != null) {
                    server.close();
                }
            }
        };
    }

    static Rig iscsi() {
        return new Rig() {
            private TgtServer tgt;

            public String name() {
                return "iscsi";
            }

            public StorageAdapterFactory factory() {
                return new IscsiAdapterFactory();
            }

            public Map<String, String> location(Path scratch, String srUuid) {
                try {
                    tgt = new TgtServer().start();
                } catch (Exception e) {
                    throw new IllegalStateException("cannot start tgtd: " + e.getMessage(), e);
                }
                return tgt.deviceConfig("iqn.2024-01.io.atoll:bench-" + srUuid.substring(0, 8), 64L << 30);
            }

            @Override
            public void close() throws Exception {
                if (tgt != null) {
                    tgt.close();
                }
            }
        };
    }

    static Rig lvm(Path dir) {
        return new Rig() {
            private LoopDevice lun;

            public String name() {
                return "lvm";
            }

            public StorageAdapterFactory factory() {
                return new LvmAdapterFactory();
            }

            public Map<String, String> location(Path scratch, String srUuid) {
                try {
                    lun = LoopDevice.create(dir, 64L << 30);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return Map.of("device", lun.device());
            }

            @Override
            public void close() throws Exception {
                if (lun != null) {
                    lun.close();
                }
            }
        };
    }
}
