"""SharedLayer's and InvokerFunction's builds (layers/shared/Makefile, functions/invoker/Makefile):
what the layer keeps of botocore, and what `sam build` made of both, as Lambda (arm64, CPython
3.13, no writable /opt or /var/task) will load them."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

from endpoint_provider import request_check

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "layers" / "shared" / "Makefile"
BUILT_LAYER = ROOT / ".aws-sam" / "build" / "SharedLayer" / "python"
BUILT_INVOKER = ROOT / ".aws-sam" / "build" / "InvokerFunction"
# CPython 3.13's bytecode magic number, Lambda's python3.13 runtime: a test interpreter of
# another version must not decide what the layer's bytecode should look like.
CPYTHON_313_MAGIC = (3571).to_bytes(2, "little") + b"\r\n"
ELF_MACHINE_AARCH64 = 183
CLIENT_CALL = re.compile(r"(?:boto3\.client|create_client)\(\s*['\"]([a-z0-9-]+)['\"]")

needs_build = pytest.mark.skipif(
    not (BUILT_LAYER.is_dir() and BUILT_INVOKER.is_dir()),
    reason="no .aws-sam/build/SharedLayer or InvokerFunction: run `make build`",
)


def kept_services() -> set[str]:
    text = MAKEFILE.read_text().replace("\\\n", " ")
    found = re.search(r"^BOTOCORE_SERVICES\s*:=(.*)$", text, re.MULTILINE)
    assert found, "layers/shared/Makefile defines no BOTOCORE_SERVICES"
    return set(found.group(1).split())


def clients_built_by_endpoint_common() -> set[str]:
    tree = ast.parse((ROOT / "layers" / "shared" / "endpoint_common" / "aws.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "client"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def clients_built_by_libraries() -> set[str]:
    """The clients crhelper (its polling) and the X-Ray SDK (its sampler) build themselves."""
    found = set()
    for package in ("crhelper", "aws_xray_sdk"):
        for source in Path(importlib.util.find_spec(package).origin).parent.rglob("*.py"):
            found |= set(CLIENT_CALL.findall(source.read_text()))
    return found


def test_the_layer_keeps_the_model_of_every_service_the_functions_call_or_load():
    # Given the services whose models the Makefile keeps
    kept = kept_services()
    # When the functions' clients, the provider's request checks and the libraries' own clients
    # are listed
    used = (
        clients_built_by_endpoint_common()
        | {request_check.SAGEMAKER, request_check.AUTOSCALING, request_check.CLOUDWATCH}
        | clients_built_by_libraries()
    )
    # Then each is kept (the lists found something: a renamed method would empty them)
    assert {"sagemaker-runtime", "s3", "lambda"} <= clients_built_by_endpoint_common()
    assert {"events", "logs", "xray"} <= clients_built_by_libraries()
    assert used - kept == set()
    # And so are the services botocore reaches for credentials
    assert {"sts", "sso", "sso-oidc"} <= kept


@needs_build
def test_the_built_layer_holds_each_kept_service_and_botocore_s_own_data():
    data = BUILT_LAYER / "botocore" / "data"
    # Then every kept service has its model, and nothing else of the ~400 is there
    services = {path.name for path in data.iterdir() if path.is_dir()}
    assert services == kept_services()
    for service in services:
        assert list((data / service).glob("*/service-2.json*")), service
    # And the endpoint rules and partitions stay
    for name in ("endpoints.json", "partitions.json", "_retry.json"):
        assert (data / name).is_file(), name
    for service in ("sagemaker-runtime", "s3"):
        assert list((data / service).glob("*/endpoint-rule-set-1.json*")), service


def sources_without_unchecked_bytecode(root: Path) -> list[str]:
    """Each Python source under `root` lacking bytecode Lambda's 3.13 loads as is: flags 0b01,
    hash-based and never checked against the source, whose mtime the zip loses."""
    found = []
    for source in root.rglob("*.py"):
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        header = compiled.read_bytes()[:8] if compiled.is_file() else b""
        if header[:4] != CPYTHON_313_MAGIC or int.from_bytes(header[4:8], "little") != 0b01:
            found.append(str(source.relative_to(root)))
    return found


@needs_build
def test_every_module_in_the_built_layer_has_unchecked_bytecode_for_python_3_13():
    # Given the built layer, with its hundreds of modules
    assert len(list(BUILT_LAYER.rglob("*.py"))) > 500
    # Then each has its bytecode
    assert sources_without_unchecked_bytecode(BUILT_LAYER) == []


@needs_build
def test_the_built_invoker_is_its_source_modules_each_with_unchecked_bytecode():
    # Given the invoker's source modules
    source = ROOT / "functions" / "invoker"
    modules = {"app.py"} | {
        str(path.relative_to(source)) for path in (source / "endpoint_invoker").rglob("*.py")
    }
    # Then the build holds exactly those, each with its bytecode
    built = {str(path.relative_to(BUILT_INVOKER)) for path in BUILT_INVOKER.rglob("*.py")}
    assert built == modules
    assert sources_without_unchecked_bytecode(BUILT_INVOKER) == []


@needs_build
def test_the_built_layer_s_native_code_and_wheels_are_for_arm64_cpython_3_13():
    # Given the extension modules in the layer (pydantic-core, orjson, wrapt)
    extensions = list(BUILT_LAYER.rglob("*.so"))
    assert {path.name.split(".")[0] for path in extensions} >= {"_pydantic_core", "orjson"}
    for extension in extensions:
        # Then each is an aarch64 ELF built for CPython 3.13
        assert extension.name.endswith(".cpython-313-aarch64-linux-gnu.so"), extension.name
        header = extension.read_bytes()[:20]
        assert header[:4] == b"\x7fELF"
        assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64, extension.name
    # And every wheel installed is pure Python or tagged cp313 on aarch64
    for wheel in BUILT_LAYER.glob("*.dist-info/WHEEL"):
        for tag in re.findall(r"^Tag: (\S+)$", wheel.read_text(), re.MULTILINE):
            interpreter, abi, platform = tag.split("-")
            assert platform == "any" or (
                interpreter == abi == "cp313" and platform.endswith("aarch64")
            ), f"{wheel.parent.name}: {tag}"
