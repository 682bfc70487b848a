package io.atoll.storage.iscsi;

import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A {@link TargetManager} for Linux tgt: targets and LUNs through {@code tgtadm}, volumes as
 * sparse files {@code BACKING_DIR/SR_UUID/VOLUME.img}, the catalog as
 * {@code BACKING_DIR/SR_UUID/sr.properties}. It runs where tgtd runs (or where the backing
 * directory and tgtd's control socket are both reachable): tgtadm talks to a local socket.
 *
 * <p>tgtd keeps its configuration in memory only, so after a tgtd restart {@link #export}
 * rebuilds the target from the catalog the adapter hands it.
 */
public final class TgtadmTargetManager implements TargetManager {
    private static final System.Logger LOG = System.getLogger(TgtadmTargetManager.class.getName());
    private static final String CATALOG = "sr.properties";
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,127}");
    // FileChannel locks are per process: threads of this JVM queue on these first.
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final CommandRunner commands;
    private final Path backingDir;
    private final int controlPort;
    private final Duration timeout;

    /**
     * @param commands runs tgtadm and cp
     * @param backingDir the directory holding one sub-directory per repository
     * @param controlPort tgtd's management port ({@code tgtadm -C})
     * @param timeout the limit of each tgtadm call: past it tgtd counts as unreachable
     */
    public TgtadmTargetManager(CommandRunner commands, Path backingDir, int controlPort, Duration timeout) {
        this.commands = commands;
        this.backingDir = backingDir;
        this.controlPort = controlPort;
        this.timeout = timeout;
    }

    /** Managers for the device-config keys {@code backing-dir}, {@code tgt-control-port} and {@code management-timeout-seconds}. */
    public static TargetManager.Factory factory(CommandRunner commands) {
        return config -> new TgtadmTargetManager(commands, IscsiConfig.backingDir(config), IscsiConfig.controlPort(config),
                IscsiConfig.managementTimeout(config));
    }

    @Override
    public void ping() {
        tgtadm(List.of("--op", "show", "--mode", "system"), List.of());
    }

    @Override
    public List<String> repositories() {
        if (!Files.isDirectory(backingDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(backingDir)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve(CATALOG)))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw io("cannot list " + backingDir, e);
        }
    }

    @Override
    public void createRepository(String srUuid) {
        if (!Files.isDirectory(backingDir)) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "backing-dir " + backingDir
                    + " does not exist on the array host: create it first");
        }
        try {
            Files.createDirectory(dir(srUuid), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            throw new StorageException(StorageErrorCode.ALREADY_EXISTS, "storage repository " + srUuid
                    + " exists already in " + backingDir);
        } catch (IOException e) {
            throw io("cannot create " + dir(srUuid), e);
        }
    }

    @Override
    public void deleteRepository(String srUuid) {
        Path dir = dir(srUuid);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw io("cannot delete " + dir, e);
        }
    }

    @Override
    public Closeable lock(String srUuid) {
        Path dir = dir(srUuid);
        if (!Files.isDirectory(dir)) {
            throw new StorageException(StorageErrorCode.NOT_FOUND, "storage repository " + srUuid + " is not in " + backingDir);
        }
        Path lockFile = dir.resolve(".lock");
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, p -> new ReentrantLock());
        jvmLock.lock();
        try {
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock fileLock;
            try {
                fileLock = channel.lock();
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            return () -> {
                try (channel) {
                    fileLock.release();
                } finally {
                    jvmLock.unlock();
                }
            };
        } catch (NoSuchFileException e) {
            jvmLock.unlock();
            throw new StorageException(StorageErrorCode.NOT_FOUND, "storage repository " + srUuid + " is not in " + backingDir);
        } catch (IOException | RuntimeException e) {
            jvmLock.unlock();
            throw e instanceof IOException io ? io("cannot lock " + lockFile, io) : (RuntimeException) e;
        }
    }

    @Override
    public Optional<Properties> readCatalog(String srUuid) {
        Path file = dir(srUuid).resolve(CATALOG);
        Properties p = new Properties();
        try (var in = Files.newInputStream(file)) {
            p.load(in);
            return Optional.of(p);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw io("cannot read " + file, e);
        }
    }

    @Override
    public void writeCatalog(String srUuid, Properties catalog) {
        Path file = dir(srUuid).resolve(CATALOG);
        Path tmp = dir(srUuid).resolve(CATALOG + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING); OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                catalog.store(out, "Atoll iSCSI storage repository " + srUuid + ": written by the adapter, do not edit");
                ch.force(true);
            }
            // The rename is what makes the new catalog visible, whole, to every host.
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw io("cannot write " + file, e);
        }
    }

    @Override
    public void createVolume(String srUuid, String volume, long size) {
        Path file = volume(srUuid, volume);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw io("cannot create " + file, e);
        }
        try {
            setLength(file, size);
        } catch (RuntimeException e) {
            deleteQuietly(file);
            throw e;
        }
    }

    @Override
    public void resizeVolume(String srUuid, String volume, long size) {
        setLength(volume(srUuid, volume), size);
    }

    @Override
    public void copyVolume(String srUuid, String source, String destination) {
        Path from = volume(srUuid, source);
        Path to = volume(srUuid, destination);
        Path tmp = to.resolveSibling(to.getFileName() + ".copy");
        // cp keeps holes (a 2 TiB empty disk copies in milliseconds) and reflinks where the
        // filesystem can; no time limit: a full copy takes as long as the data needs.
        CommandRunner.Result r = commands.run(List.of("cp", "--sparse=always", "--reflink=auto", "--", from.toString(), tmp.toString()));
        if (!r.ok()) {
            deleteQuietly(tmp);
            StorageException failed = CommandRunner.failed(r, List.of());
            if (r.stderr().contains("No space left")) {
                throw new StorageException(StorageErrorCode.NO_SPACE, failed.getMessage());
            }
            throw failed;
        }
        try {
            Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw io("cannot replace " + to, e);
        }
    }

    @Override
    public void deleteVolume(String srUuid, String volume) {
        try {
            Files.deleteIfExists(volume(srUuid, volume));
        } catch (IOException e) {
            throw io("cannot delete volume " + volume, e);
        }
    }

    @Override
    public List<String> deleteVolumesExcept(String srUuid, Set<String> keep) {
        List<String> deleted = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir(srUuid))) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                boolean volume = name.endsWith(".img") && !keep.contains(name.substring(0, name.length() - 4));
                if (volume || name.endsWith(".img.copy")) {
                    Files.deleteIfExists(f);
                    deleted.add(name);
                }
            }
        } catch (IOException e) {
            throw io("cannot clean " + dir(srUuid), e);
        }
        return deleted;
    }

    @Override
    public boolean targetExists(String iqn) {
        return show().byIqn(iqn).isPresent();
    }

    @Override
    public void export(TargetExport spec) {
        TgtTargets shown = show();
        TgtTargets.Target t = shown.byIqn(spec.iqn()).orElse(null);
        if (t == null) {
            t = createTarget(spec.iqn(), shown);
            shown = show();
        }
        String tid = Integer.toString(t.tid());
        if (!t.acls().contains("ALL")) {
            // Which hosts may log in is the pool's business (CHAP guards the data), not the array's.
            tgtadm(List.of("--op", "bind", "--mode", "target", "--tid", tid, "-I", "ALL"), List.of());
        }
        syncAccount(t, spec.chap(), shown);
        Set<Integer> present = new HashSet<>();
        for (TgtTargets.Lun shownLun : t.luns().values()) {
            if (shownLun.number() == 0) {
                continue;
            }
            TargetManager.Lun want = spec.luns().stream().filter(l -> l.number() == shownLun.number()).findFirst().orElse(null);
            if (want != null && volume(spec.srUuid(), want.volume()).toString().equals(shownLun.backingPath())
                    && want.readOnly() == shownLun.readOnly()) {
                present.add(shownLun.number());
            } else {
                tgtadm(List.of("--op", "delete", "--mode", "logicalunit", "--tid", tid, "--lun", Integer.toString(shownLun.number())), List.of());
            }
        }
        for (TargetManager.Lun want : spec.luns()) {
            if (present.contains(want.number())) {
                continue;
            }
            String lun = Integer.toString(want.number());
            tgtadm(List.of("--op", "new", "--mode", "logicalunit", "--tid", tid, "--lun", lun,
                    "-b", volume(spec.srUuid(), want.volume()).toString()), List.of());
            if (want.readOnly()) {
                // tgtadm takes readonly only as an update; nobody knows this LUN before the catalog does.
                tgtadm(List.of("--op", "update", "--mode", "logicalunit", "--tid", tid, "--lun", lun, "--params", "readonly=1"), List.of());
            }
        }
    }

    @Override
    public void unexport(String iqn) {
        TgtTargets shown = show();
        TgtTargets.Target t = shown.byIqn(iqn).orElse(null);
        if (t == null) {
            return;
        }
        if (t.sessions() > 0) {
            throw new StorageException(StorageErrorCode.IN_USE, "target " + iqn + " has " + t.sessions()
                    + " initiator session(s) logged in: stop the VMs using it first");
        }
        CommandRunner.Result r = tgtadmRun(List.of("--op", "delete", "--mode", "target", "--tid", Integer.toString(t.tid())), List.of());
        if (!r.ok()) {
            if (r.stderr().contains("still active")) {
                throw new StorageException(StorageErrorCode.IN_USE, "target " + iqn + " is still active: initiators are logged in");
            }
            throw CommandRunner.failed(r, List.of());
        }
        for (String user : t.accounts()) {
            if (!shown.accountBoundElsewhere(user, t.tid())) {
                tgtadmRun(List.of("--op", "delete", "--mode", "account", "--user", user), List.of());
            }
        }
    }

    private TgtTargets.Target createTarget(String iqn, TgtTargets shown) {
        // Another repository on the same tgtd may take the same free tid at the same moment.
        for (int attempt = 0; attempt < 5; attempt++) {
            int tid = shown.freeTid();
            CommandRunner.Result r = tgtadmRun(List.of("--op", "new", "--mode", "target", "--tid", Integer.toString(tid), "-T", iqn), List.of());
            shown = show();
            Optional<TgtTargets.Target> made = shown.byIqn(iqn);
            if (made.isPresent()) {
                LOG.log(System.Logger.Level.INFO, "target " + iqn + ": created as tgt tid " + made.get().tid());
                return made.get();
            }
            if (!r.ok() && !r.stderr().contains("already exists")) {
                throw CommandRunner.failed(r, List.of());
            }
        }
        throw new StorageException(StorageErrorCode.BACKEND_FAILED, "target " + iqn + ": tgtd refused every free target id; try again");
    }

    private void syncAccount(TgtTargets.Target t, Optional<Chap> chap, TgtTargets shown) {
        String tid = Integer.toString(t.tid());
        for (String bound : t.accounts()) {
            if (chap.isEmpty() || !chap.get().user().equals(bound)) {
                tgtadm(List.of("--op", "unbind", "--mode", "account", "--tid", tid, "--user", bound), List.of());
            }
        }
        if (chap.isEmpty() || t.accounts().contains(chap.get().user())) {
            return;
        }
        Chap c = chap.get();
        List<String> secret = List.of(c.password());
        boolean exists = tgtadm(List.of("--op", "show", "--mode", "account"), List.of()).stdout().lines()
                .map(String::strip).anyMatch(c.user()::equals);
        if (exists && !shown.accountBoundElsewhere(c.user(), t.tid())) {
            // An account nobody uses may carry an old password; tgtadm cannot show it, so renew it.
            tgtadm(List.of("--op", "delete", "--mode", "account", "--user", c.user()), List.of());
            exists = false;
        }
        if (!exists) {
            // tgtadm takes the secret only as an argument; it is hidden in every message we make.
            tgtadm(List.of("--op", "new", "--mode", "account", "--user", c.user(), "--password", c.password()), secret);
        }
        tgtadm(List.of("--op", "bind", "--mode", "account", "--tid", tid, "--user", c.user()), secret);
    }

    private TgtTargets show() {
        return TgtTargets.parse(tgtadm(List.of("--op", "show", "--mode", "target"), List.of()).stdout());
    }

    private CommandRunner.Result tgtadm(List<String> args, List<String> secrets) {
        CommandRunner.Result r = tgtadmRun(args, secrets);
        if (!r.ok()) {
            throw CommandRunner.failed(r, secrets);
        }
        return r;
    }

    /** Runs tgtadm; a daemon that is down or does not answer in time is UNAVAILABLE, other failures are returned. */
    private CommandRunner.Result tgtadmRun(List<String> args, List<String> secrets) {
        List<String> cmd = new ArrayList<>(List.of("tgtadm", "-C", Integer.toString(controlPort), "--lld", "iscsi"));
        cmd.addAll(args);
        CommandRunner.Result r = commands.run(cmd, timeout, secrets);
        if (!r.ok() && (r.exitCode() == 107 || r.stderr().contains("tgt daemon"))) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, "the iSCSI target server does not answer (tgtd, control port "
                    + controlPort + "): " + r.stderr().strip() + " — start tgtd or check device-config '"
                    + IscsiConfig.CONTROL_PORT + "'");
        }
        return r;
    }

    private Path dir(String srUuid) {
        if (!SAFE_ID.matcher(srUuid).matches()) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "storage repository uuid '" + srUuid
                    + "' is not usable as a directory name: use letters, digits and '-'");
        }
        return backingDir.resolve(srUuid);
    }

    private Path volume(String srUuid, String volume) {
        if (!SAFE_ID.matcher(volume).matches()) {
            throw new IllegalArgumentException("volume name '" + volume + "'");
        }
        return dir(srUuid).resolve(volume + ".img");
    }

    private static void setLength(Path file, long size) {
        // setLength on a new or grown file leaves a hole: the volume is sparse on the array.
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("No space left") || m.contains("File too large")) {
                throw new StorageException(StorageErrorCode.NO_SPACE, "the array cannot hold " + size + " bytes in " + file + ": " + m, e);
            }
            throw io("cannot size " + file, e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + p + ": " + e.getMessage());
        }
    }

    private static StorageException io(String what, IOException e) {
        return new StorageException(StorageErrorCode.BACKEND_FAILED, what + ": " + e, e);
    }
}
