"""``import gmi_ieops.handler`` installs the ``open()`` wrapper without the file system's
modules (issue 16: import time); they load on the first ``gmifs://`` use or attribute."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CODE = """
import sys
import gmi_ieops.handler
heavy = [m for m in ("gmi_ieops.storage.filesystem", "gmi_ieops.storage.nfs",
                     "gmi_ieops.storage.lock", "gmi_ieops.storage._libnfs") if m in sys.modules]
assert not heavy, heavy
with open("gmifs://a/b.txt", "w") as f:
    f.write("x")
assert "gmi_ieops.storage.filesystem" in sys.modules
from gmi_ieops.storage import FileLock, FileSystem, LibnfsNotFoundError, parse_server
assert FileSystem.__name__ == "FileSystem" and callable(parse_server)
import gmi_ieops.storage as storage
try:
    storage.no_such_name
except AttributeError:
    pass
else:
    raise AssertionError("unknown names must raise AttributeError")
print("ok")
"""


def test_the_file_system_loads_on_first_use(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CODE],
        env={
            "PATH": "",
            "PYTHONPATH": ":".join(sys.path),
            "IEOPS_STORAGE_LOCAL_ROOT": str(tmp_path / "gmifs"),
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "gmifs").is_dir()
