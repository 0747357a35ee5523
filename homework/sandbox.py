"""Starting a student's kernel in a sandbox, and ending it with everything it started.

With bubblewrap (Debian's ``bubblewrap``, the ``bwrap`` command) the kernel runs

* in fresh user, PID, network, mount, IPC, UTS and cgroup namespaces (``--unshare-all``): no
  network interface but loopback, no other process visible or signalable, and when the kernel's
  sandbox ends the PID namespace ends with it — a detached or double-forked process dies too;
* as user 65534 (nobody) with no capabilities (``--cap-drop ALL``), in a new session (no terminal);
* on a filesystem that holds only: read-only ``/usr`` and a few files of ``/etc``, the Python
  installation, the virtual environment, the ``nnlib`` package, the two kernel files; a writable
  folder with the student's own notebook copy (its working directory); an empty ``/tmp``. The
  chapters (solutions and hidden tests), the grading folders, the gradebook, the output folder,
  other students' submissions and the rest of the checkout are not in it;
* under resource limits set before it starts (``setrlimit``, inherited by everything it starts):
  address space (default 2 GiB), CPU seconds, file size, open files, no core files; and a limit
  on processes and threads: a ``pids`` cgroup of its own (``pids.max``) where the grader may
  create one (cgroup v1 ``/sys/fs/cgroup/pids`` or a cgroup v2 ``pids`` controller), else
  ``RLIMIT_NPROC`` when the grader does not run as root (root is exempt from that limit).

Without bubblewrap grading refuses to start, unless ``unsafe=True`` (``--unsafe-no-sandbox``):
then the kernel is only a child process in its own session with the same resource limits, and its
process group is killed at the end (see the instructors' page for what that does not stop).
"""
from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
KERNEL_FILES = ("kernel.py", "channel.py")


class SandboxUnavailable(RuntimeError):
    """The isolation this machine would need is missing."""


def _pids_cgroup_parent() -> Path | None:
    """A folder in which this process may create a cgroup with a ``pids`` limit, or None."""
    v1 = Path("/sys/fs/cgroup/pids")
    if (v1 / "cgroup.procs").exists() and os.access(v1, os.W_OK):
        return v1
    try:
        own = next(l.split(":", 2)[2] for l in Path("/proc/self/cgroup").read_text().splitlines()
                   if l.startswith("0::"))
        v2 = Path("/sys/fs/cgroup") / own.strip().lstrip("/")
        if "pids" in (v2 / "cgroup.subtree_control").read_text().split() \
                and os.access(v2, os.W_OK):
            return v2
    except (OSError, StopIteration):
        pass
    return None


class PidsCgroup:
    """A cgroup of its own for one sandbox, limiting its processes + threads."""

    def __init__(self, limit: int):
        import uuid

        parent = _pids_cgroup_parent()
        if parent is None:
            raise SandboxUnavailable("no pids cgroup can be created here")
        self._remove_stale(parent)
        self.path = parent / f"nnfs-grading-{uuid.uuid4().hex[:12]}"
        self.path.mkdir()
        (self.path / "pids.max").write_text(str(int(limit)))

    def enter(self) -> None:
        """Move the calling process in (run in the child before exec)."""
        with open(self.path / "cgroup.procs", "w") as f:
            f.write(str(os.getpid()))

    @staticmethod
    def _remove_stale(parent: Path) -> None:
        """Remove the cgroups of earlier sandboxes left behind by a killed grader (only empty
        ones older than 10 minutes: the kernel refuses to remove one with processes in it)."""
        import time

        for old in parent.glob("nnfs-grading-*"):
            try:
                if time.time() - old.stat().st_mtime > 600:
                    old.rmdir()
            except OSError:
                pass

    def remove(self) -> None:
        import time

        for _ in range(200):  # the namespace's processes take a moment to be reaped
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.05)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one student's kernel."""

    memory: int = 2 * 2**30     # bytes of address space
    processes: int = 64         # processes + threads of the sandbox's user
    cpu_seconds: int = 900      # CPU time of each process
    file_size: int = 256 * 2**20
    open_files: int = 256

    def apply(self) -> None:
        """Set the limits on the calling process (run in the child before exec).

        ``RLIMIT_NPROC`` counts every process and thread of the user (root is exempt), so it is
        set to what the user runs now plus ``processes``."""
        for what, value in ((resource.RLIMIT_AS, self.memory),
                            (resource.RLIMIT_NPROC, _user_tasks() + self.processes),
                            (resource.RLIMIT_CPU, self.cpu_seconds),
                            (resource.RLIMIT_FSIZE, self.file_size),
                            (resource.RLIMIT_NOFILE, self.open_files),
                            (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(what, (value, value))


def _user_tasks() -> int:
    """Processes + threads that the calling user runs now."""
    uid, n = str(os.getuid()), 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(l.split(":", 1) for l in status.read_text().splitlines() if ":" in l)
        except OSError:
            continue
        if fields.get("Uid", "").split()[:1] == [uid]:
            n += int(fields.get("Threads", "1"))
    return n


def _environment(home: str) -> dict:
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": home,
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp", "NNLIB_NO_FRAMES": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "LANG": "C.UTF-8",
            "JUPYTER_PLATFORM_DIRS": "1"}


def _python_paths() -> list[Path]:
    """What the kernel needs to import: the Python installation, the virtual environment, and
    the folder of every package the environment's path files point to (nnlib, installed
    editable, lives in the checkout) — only ``nnlib`` itself from the checkout."""
    import nnlib

    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
             Path(nnlib.__file__).resolve().parent}
    exe = Path(sys.executable).resolve()
    if not any(exe.is_relative_to(p) for p in paths):
        paths.add(exe.parent)
    return sorted(paths)


def bwrap_command(box: Path, home: str = "/home/student") -> list[str]:
    """The ``bwrap`` command line that runs the kernel with ``box`` as its writable home."""
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
           "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for link in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = Path("/") / link
        if p.is_symlink():
            cmd += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            cmd += ["--ro-bind", str(p), str(p)]
    for etc in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts",
                "alternatives", "nsswitch.conf"):
        p = Path("/etc") / etc
        if p.exists():
            cmd += ["--ro-bind", str(p), str(p)]
    for p in _python_paths():
        cmd += ["--ro-bind", str(p), str(p)]
    for name in KERNEL_FILES:
        cmd += ["--ro-bind", str(HERE / name), f"/grader/{name}"]
    cmd += ["--bind", str(box), home, "--chdir", home, "--clearenv"]
    for k, v in _environment(home).items():
        cmd += ["--setenv", k, v]
    return cmd + [sys.executable, "-E", "-s", "/grader/kernel.py"]


@functools.lru_cache(maxsize=None)
def check_sandbox() -> str:
    """'' when bubblewrap can build the sandbox here, otherwise why not."""
    if _pids_cgroup_parent() is None and os.geteuid() == 0:
        return ("the number of processes cannot be limited: no writable pids cgroup, and "
                "RLIMIT_NPROC does not bind root (run the grader as a normal user, or give it a "
                "cgroup with the pids controller)")
    if shutil.which("bwrap") is None:
        return ("bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)")
    try:
        probe = subprocess.run(["bwrap", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL",
                                "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                                "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap does not run ({e})"
    if probe.returncode != 0:
        return ("bubblewrap cannot create namespaces on this machine (" +
                (probe.stderr.strip() or f"exit code {probe.returncode}") +
                "); unprivileged user namespaces may be disabled")
    return ""


def start_kernel(box: Path, limits: Limits, unsafe: bool = False) -> subprocess.Popen:
    """Start the student's kernel with ``box`` (holding the notebook copy) as its home.

    The process talks over its stdin/stdout (see :mod:`homework.kernel`)."""
    box.mkdir(parents=True, exist_ok=True)
    if unsafe:
        cmd = [sys.executable, "-E", "-s", str(HERE / "kernel.py")]
        env, cwd = _environment(str(box)), box
        env["MPLCONFIGDIR"] = str(box / ".matplotlib")
    else:
        why = check_sandbox()
        if why:
            raise SandboxUnavailable(why)
        os.chmod(box, 0o777)  # the sandbox's user (nobody) writes its own folder
        cmd, env, cwd = bwrap_command(box), None, box
    cgroup = PidsCgroup(limits.processes) if _pids_cgroup_parent() is not None else None

    def before_exec():
        if cgroup is not None:
            cgroup.enter()
        limits.apply()

    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True,
                            preexec_fn=before_exec, close_fds=True)
    proc.cgroup = cgroup
    return proc


def stop_kernel(proc: subprocess.Popen) -> None:
    """Kill the kernel's whole session (in the sandbox: its PID namespace goes with it)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for stream in (proc.stdin, proc.stdout):
        try:
            stream.close()
        except Exception:
            pass
    proc.wait()
    if getattr(proc, "cgroup", None) is not None:
        proc.cgroup.remove()
