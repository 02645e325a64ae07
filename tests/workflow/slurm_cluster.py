"""A real single-node SLURM cluster on this machine, for the SLURM end-to-end test.

It installs Debian's munge and SLURM packages if they are missing (as root), writes a
slurm.conf into a temporary folder, starts munged, slurmctld and slurmd in the foreground
(so each has a PID to stop), waits until the node is idle, and stops every daemon it
started when done. Without accounting (no slurmdbd), the executor plugin must be told to
query job states with ``squeue`` and to use no account.

The executor plugin itself is not in the environment `make test` sets up
(requirements-slurm.in says why): ``install_executor_plugin`` installs requirements-slurm.lock
into a folder of the test's own, which the test puts on the PYTHONPATH of its snakemake calls.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.system_packages import SystemPackagesUnavailable, ensure_debian_packages

PACKAGES = ("munge", "slurmctld", "slurmd", "slurm-client")
PARTITION = "revtest"
#: The executor plugin's job step drops SLURM_CONF from the environment of its nested
#: srun, which then only finds the configuration at the default path.
DEFAULT_CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# written by the revmentor SLURM test; removed when it ends"
#: The hashed pins of the SLURM executor plugin, as `make slurm-env` installs them.
SLURM_LOCK = Path(__file__).resolve().parents[2] / "requirements-slurm.lock"
PLUGIN = "snakemake_executor_plugin_slurm"


class ClusterUnavailable(RuntimeError):
    """SLURM could not be installed or started here; the message says why."""


class PluginUnavailable(RuntimeError):
    """The SLURM executor plugin could not be installed here; the message says why."""


def install_executor_plugin(folder: Path) -> Path | None:
    """The folder to put on PYTHONPATH so that ``python -m snakemake`` imports the SLURM
    executor plugin (SLURM passes it on to the jobs); None where this environment has it
    (`make slurm-env`).

    pip installs requirements-slurm.lock into ``folder``, never into the shared environment:
    there every later snakemake call of the suite would pay the plugin's ``scontrol show
    config`` on import.
    """
    if importlib.util.find_spec(PLUGIN) is not None:
        return None
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--require-hashes", "--no-deps", "--target", str(folder), "-r", str(SLURM_LOCK)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise PluginUnavailable(
            f"pip did not install {SLURM_LOCK.name} (the SLURM executor plugin) in 10 minutes"
        ) from None
    if done.returncode != 0:
        raise PluginUnavailable(
            f"pip could not install {SLURM_LOCK.name} (the SLURM executor plugin):\n"
            f"{done.stderr[-2000:]}"
        )
    return folder


def run(*command: str, env: dict | None = None, check: bool = True) -> str:
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if check and done.returncode != 0:
        raise ClusterUnavailable(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def install() -> None:
    # SLURM built from source counts: the daemons and commands are what the test runs.
    tools_here = all(shutil.which(tool) for tool in ("slurmctld", "slurmd", "sbatch", "munged"))
    try:
        ensure_debian_packages(dict.fromkeys(PACKAGES, tools_here), "the SLURM test")
    except SystemPackagesUnavailable as unavailable:
        raise ClusterUnavailable(str(unavailable)) from unavailable


def node_line(host: str) -> str:
    """This machine's CPUs and memory as slurmd measures them, for the node definition."""
    measured = run("slurmd", "-C").splitlines()[0].split()
    fields = [field for field in measured if not field.startswith(("NodeName=", "UpTime="))]
    return " ".join([f"NodeName={host}", "NodeAddr=127.0.0.1", *fields, "State=UNKNOWN"])


def slurm_conf(folder: Path, host: str) -> Path:
    lines = [
        "ClusterName=revmentor-test",
        f"SlurmctldHost={host}(127.0.0.1)",
        "SlurmUser=root",
        "AuthType=auth/munge",
        f"StateSaveLocation={folder / 'state'}",
        f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
        f"SlurmdPidFile={folder / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'slurmctld.log'}",
        f"SlurmdLogFile={folder / 'slurmd.log'}",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core",
        "AccountingStorageType=accounting_storage/none",
        "JobAcctGatherType=jobacct_gather/none",
        "JobCompType=jobcomp/none",
        "MpiDefault=none",
        "ReturnToService=2",
        "MinJobAge=600",
        node_line(host),
        f"PartitionName={PARTITION} Nodes={host} Default=YES MaxTime=INFINITE State=UP",
    ]
    for name in ("state", "spool"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    conf = folder / "slurm.conf"
    conf.write_text("\n".join([MARKER, *lines]) + "\n", encoding="utf-8")
    return conf


def install_default_conf(conf: Path) -> None:
    """Put our slurm.conf at the default path, never over a real cluster's."""
    if DEFAULT_CONF.exists() and MARKER not in DEFAULT_CONF.read_text(errors="replace"):
        raise ClusterUnavailable(f"{DEFAULT_CONF} belongs to a real SLURM set-up; not touched")
    DEFAULT_CONF.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(conf, DEFAULT_CONF)


def remove_default_conf() -> None:
    if DEFAULT_CONF.exists() and MARKER in DEFAULT_CONF.read_text(errors="replace"):
        DEFAULT_CONF.unlink()


def start_munge(folder: Path) -> subprocess.Popen:
    socket_dir = Path("/run/munge")
    socket_dir.mkdir(parents=True, exist_ok=True)
    shutil.chown(socket_dir, "munge", "munge")
    log = open(folder / "munged.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        ["runuser", "-u", "munge", "--", "munged", "--foreground", "--force"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.time() + seconds
    while not condition():
        if time.time() > deadline:
            raise ClusterUnavailable(f"timed out waiting for {what}")
        time.sleep(0.5)


def node_idle(env: dict) -> bool:
    done = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=env)
    return done.returncode == 0 and done.stdout.strip() == "idle"


@contextmanager
def single_node_cluster(folder: Path) -> Iterator[dict[str, str]]:
    """Yield the environment (SLURM_CONF set) in which sbatch and squeue reach the cluster."""
    install()
    host = socket.gethostname().split(".")[0]
    conf = slurm_conf(folder, host)
    env = {**os.environ, "SLURM_CONF": str(conf)}
    daemons: list[subprocess.Popen] = []
    try:
        install_default_conf(conf)
        daemons.append(start_munge(folder))
        wait_until(lambda: Path("/run/munge/munge.socket.2").exists(), 30, "munged")
        for command in (
            ["slurmctld", "-D", "-f", str(conf)],
            ["slurmd", "-D", "-N", host, "-f", str(conf)],
        ):
            daemons.append(
                subprocess.Popen(
                    command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        wait_until(lambda: node_idle(env), 60, "the SLURM node to become idle")
        yield env
    finally:
        for daemon in reversed(daemons):
            daemon.terminate()
        for daemon in reversed(daemons):
            try:
                daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
        remove_default_conf()
