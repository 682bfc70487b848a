#!/usr/bin/env python3
"""Manual smoke test of the Atoll test guests (not run by Maven).

    python3 smoke-test.py [GUESTS_DIR]     # default: ../../../target/guests

Counter: boots counter.img for 4 s, checks the BOOT line and the line rate.
Linux: boots with a blank 64 MiB qcow2 disk, writes 4 MiB, verifies, powers off
with QMP system_powerdown (QEMU must exit by itself), boots again with the same
disk, verifies again, powers off with the serial "poweroff" command.
Needs python3, qemu-system-x86_64 and qemu-img; uses TCG.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GUESTS = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../target/guests"))
CMDLINE = "console=ttyS0 panic=-1"


def connect(path, timeout=10):
    end = time.monotonic() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > end:
                raise
            time.sleep(0.02)


class LinuxGuest:
    def __init__(self, tmp, disk, tag):
        self.serial_path = os.path.join(tmp, tag + ".serial")
        self.qmp_path = os.path.join(tmp, tag + ".qmp")
        args = ["qemu-system-x86_64", "-accel", "tcg", "-m", "256", "-nographic", "-nodefaults",
                "-chardev", "socket,id=s0,path=%s,server=on,wait=off" % self.serial_path,
                "-serial", "chardev:s0",
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
                "-kernel", os.path.join(GUESTS, "linux/vmlinuz"),
                "-initrd", os.path.join(GUESTS, "linux/initrd.img"),
                "-append", CMDLINE]
        if disk:
            args += ["-drive", "file=%s,if=virtio,format=qcow2" % disk]
        self.start = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self.serial = connect(self.serial_path)
        self.buf = b""

    def line(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no line; got %r" % self.buf[-300:])
            self.serial.settimeout(left)
            data = self.serial.recv(4096)
            if not data:
                raise EOFError("serial closed; got %r" % self.buf[-300:])
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode(errors="replace")

    def expect(self, prefix, timeout=30):
        while True:
            line = self.line(timeout)
            i = line.find("ATOLL-GUEST ")
            if i >= 0 and line[i:].startswith(prefix):
                return line[i:]

    def command(self, text, prefix, timeout=60):
        self.serial.sendall(text.encode() + b"\n")
        answer = self.expect(prefix, timeout)
        print("  %-16s -> %s" % (text, answer))
        return answer

    def qmp(self, command):
        s = connect(self.qmp_path)
        f = s.makefile("rwb")
        json.loads(f.readline())
        for c in ("qmp_capabilities", command):
            f.write(json.dumps({"execute": c}).encode() + b"\n")
            f.flush()
            while True:
                reply = json.loads(f.readline())
                if "return" in reply or "error" in reply:
                    break
            if "error" in reply:
                raise RuntimeError(reply)
        s.close()

    def wait_exit(self, timeout=20):
        t = time.monotonic()
        self.proc.wait(timeout)
        return time.monotonic() - t

    def close(self):
        self.serial.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def counter():
    image = os.path.join(GUESTS, "counter.img")
    proc = subprocess.Popen(["qemu-system-x86_64", "-accel", "tcg", "-m", "32", "-nographic", "-nodefaults",
                             "-serial", "stdio", "-drive", "file=%s,format=raw,if=ide" % image],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    start = time.monotonic()
    lines = []
    try:
        os.set_blocking(proc.stdout.fileno(), True)
        while time.monotonic() - start < 4:
            raw = proc.stdout.readline()
            if not raw:
                break
            lines.append((time.monotonic() - start, raw.rstrip(b"\r\n").decode(errors="replace")))
    finally:
        proc.kill()
        proc.wait()
    assert any(l == "ATOLL-COUNTER BOOT" for _, l in lines), lines[:5]
    counts = [(t, int(l.split()[1])) for t, l in lines if l.startswith("ATOLL-COUNTER ") and l.split()[1].isdigit()]
    assert counts and counts[0][1] == 1, counts[:3]
    assert [n for _, n in counts] == list(range(1, len(counts) + 1)), "counter skipped"
    rate = (len(counts) - 1) / (counts[-1][0] - counts[0][0])
    print("counter: first line after %.2f s, %.1f lines/s" % (counts[0][0], rate))
    assert 10 <= rate <= 20, rate


def linux(tmp):
    disk = os.path.join(tmp, "disk.qcow2")
    subprocess.run(["qemu-img", "create", "-f", "qcow2", disk, "64M"], check=True, stdout=subprocess.DEVNULL)

    g = LinuxGuest(tmp, disk, "boot1")
    try:
        ready = g.expect("ATOLL-GUEST READY", 60)
        print("linux boot 1: %s after %.2f s" % (ready, time.monotonic() - g.start))
        assert "disk=vda" in ready
        g.command("echo hello", "ATOLL-GUEST ECHO hello")
        wrote = g.command("write data 4", "ATOLL-GUEST WROTE data ")
        assert g.command("verify data", "ATOLL-GUEST VERIFY") == "ATOLL-GUEST VERIFY data OK"
        t = time.monotonic()
        g.qmp("system_powerdown")
        g.expect("ATOLL-GUEST POWEROFF", 30)
        g.wait_exit()
        print("  system_powerdown -> QEMU exited after %.2f s" % (time.monotonic() - t))
    finally:
        g.close()

    g = LinuxGuest(tmp, disk, "boot2")
    try:
        ready = g.expect("ATOLL-GUEST READY", 60)
        print("linux boot 2: %s after %.2f s" % (ready, time.monotonic() - g.start))
        assert g.command("verify data", "ATOLL-GUEST VERIFY") == "ATOLL-GUEST VERIFY data OK"
        g.serial.sendall(b"poweroff\n")
        g.expect("ATOLL-GUEST POWEROFF", 30)
        print("  poweroff -> QEMU exited after %.2f s" % g.wait_exit())
    finally:
        g.close()
    print("linux: OK (%s)" % wrote.split()[-1])


if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="atoll-guests-")
    try:
        counter()
        linux(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
