"""Every script in examples/ and every Python block of the README runs as
written (KMS ones against the local endpoint through AWS_ENDPOINT_URL)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import BINDING, EXAMPLES, clean_env, replicate

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.py"))
README_PLACEHOLDER_ARN = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"


def run_python(args, env, cwd):
    r = subprocess.run([sys.executable, *args], capture_output=True, env=env, cwd=cwd, timeout=120)
    assert r.returncode == 0, f"stdout:\n{r.stdout.decode()}\nstderr:\n{r.stderr.decode()}"
    return r


def test_there_are_examples():
    assert len(EXAMPLE_FILES) >= 3


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.name for p in EXAMPLE_FILES])
def test_example_runs(path, tmp_path, request):
    env = clean_env()
    if "boto3" in path.read_text():
        endpoint = request.getfixturevalue("kms_endpoint")
        east_arn, _ = request.getfixturevalue("mrk")
        env.update(AWS_ENDPOINT_URL=endpoint, MRKENV_MRK_ARN=east_arn)
    r = run_python([str(path)], env, tmp_path)
    assert r.stdout.strip().endswith(b"ok")


def test_readme_python_blocks_run(tmp_path, kms_endpoint, mrk, global_table):
    text = (BINDING / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    assert sum("dynamodb" in block for block in blocks) >= 2  # the records writer and reader
    east_arn, _ = mrk
    for i, block in enumerate(blocks):
        # Only the ARN is replaced, as a user would: everything else (the
        # discovery filter's account) must follow from it.
        code = block.replace(README_PLACEHOLDER_ARN, east_arn)
        script = tmp_path / f"readme_{i}.py"
        script.write_text(code)
        run_python([str(script)], clean_env(AWS_ENDPOINT_URL=kms_endpoint), tmp_path)
        # The README's records reader runs in us-west-2 after the writer's item
        # reached it; moto does not replicate global tables, so copy it.
        replicate(global_table)
