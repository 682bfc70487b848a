package io.atoll.host;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Structure;

/** The few libc calls the JDK lacks on a host, through JNA. */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int O_RDWR = 2;
    int O_CLOEXEC = 0x80000;
    int SC_NPROCESSORS_ONLN = 84;

    int open(String path, int flags);

    int close(int fd);

    int ioctl(int fd, NativeLong request, NativeLong arg);

    int sysinfo(SysInfo info);

    int statvfs(String path, StatVfs buf);

    NativeLong sysconf(int name);

    int kill(int pid, int signal);

    /** {@code struct sysinfo} of Linux on 64-bit. */
    @Structure.FieldOrder({"uptime", "loads", "totalram", "freeram", "sharedram", "bufferram", "totalswap",
            "freeswap", "procs", "pad", "totalhigh", "freehigh", "memUnit", "reserved"})
    class SysInfo extends Structure {
        public NativeLong uptime;
        public NativeLong[] loads = new NativeLong[3];
        public NativeLong totalram;
        public NativeLong freeram;
        public NativeLong sharedram;
        public NativeLong bufferram;
        public NativeLong totalswap;
        public NativeLong freeswap;
        public short procs;
        public short pad;
        public NativeLong totalhigh;
        public NativeLong freehigh;
        public int memUnit;
        public byte[] reserved = new byte[8];
    }

    /** {@code struct statvfs} of glibc on x86_64. */
    @Structure.FieldOrder({"bsize", "frsize", "blocks", "bfree", "bavail", "files", "ffree", "favail", "fsid",
            "flag", "namemax", "spare"})
    class StatVfs extends Structure {
        public NativeLong bsize;
        public NativeLong frsize;
        public long blocks;
        public long bfree;
        public long bavail;
        public long files;
        public long ffree;
        public long favail;
        public NativeLong fsid;
        public NativeLong flag;
        public NativeLong namemax;
        public int[] spare = new int[6];
    }
}
