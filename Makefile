# Makefile: the verbs that CI (.ci/run) and the README use.
#
# A fresh machine has only Python and pip: every target installs what it needs itself, once
# (a stamp file inside each virtualenv records the install; it is redone only when the
# requirements file it came from changes, or the virtualenv is gone or broken).
#
#   make venv         .venv from requirements-dev.txt (pytest, ruff, moto, cfn-lint, layer deps)
#   make sam-venv     .venv-sam from requirements-sam.txt (aws-sam-cli pins its own boto3)
#   make lint         ruff check + ruff format --check + mypy (strict) on functions/ and layers/
#   make validate     sam validate --lint (cfn-lint through SAM; no credentials, no network)
#   make build        sam build, a real python3.13 first on PATH (skipped, with a warning, if none)
#   make unit         pytest tests/unit
#   make integration  pytest tests/integration
#   make test         lint + validate + build + the whole pytest suite (what CI runs)
#   make demo         python -m localaws.demo $(EXAMPLE) $(DEMO_ARGS) (e.g. DEMO_ARGS=--verbose)
#   make deploy       build, then sam deploy --guided (needs python3.13 and AWS credentials)
#   make local-aws    the local AWS (moto + SageMaker simulator) at http://127.0.0.1:5000
#   make sam-local-aws     the same over HTTPS on 0.0.0.0:5000, for sam-local-invoke's containers
#   make sam-local-invoke  sam local invoke $(FUNCTION) -e $(EVENT) against it (Docker or Finch)
#   make sam-local-response  the answer CloudFormation would have received for $(EVENT)
#   make docs         regenerate docs/Custom-SageMakerEndpoint.md from the property model
#   make clean        remove build output and caches (keeps the virtualenvs)
#   make distclean    clean, and remove both virtualenvs

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:

VENV     ?= .venv
SAM_VENV ?= .venv-sam
EXAMPLE  ?= examples/realtime-endpoint.yaml

# SAM CLI must work with no AWS account and no network: no telemetry, and a region of some kind
# (validate and build never call AWS, but botocore insists on a region).
export SAM_CLI_TELEMETRY ?= 0
export AWS_DEFAULT_REGION ?= $(or $(AWS_REGION),us-east-1)

# --- Python 3.13, the Lambda runtime -------------------------------------------------------------
# A *working* python3.13 (pyenv puts a shim named python3.13 on PATH that fails unless
# PYENV_VERSION names 3.13.x, so "on PATH" is not enough). Candidates, first that runs wins:
#   1. python3.13 on PATH,
#   2. $PYENV_ROOT/versions/3.13*/bin/python3.13 (default ~/.pyenv), newest first,
#   3. whatever `pyenv prefix 3.13` resolves to.
# Each candidate must really be 3.13 and have venv + ensurepip. Override: make PYTHON313=/path.
# The real executable (sys.executable) is kept, so its folder can go first on PATH for sam build.
ifeq ($(origin PYTHON313),undefined)
PYTHON313 := $(shell \
  pyroot="$${PYENV_ROOT:-$$HOME/.pyenv}"; \
  for c in python3.13 \
           $$(ls -1d "$$pyroot"/versions/3.13*/bin/python3.13 2>/dev/null | sort -rV) \
           "$$(pyenv prefix 3.13 2>/dev/null)/bin/python3.13"; do \
    "$$c" -c 'import sys, venv, ensurepip; assert sys.version_info[:2] == (3, 13); print(sys.executable)' \
      2>/dev/null && break; \
  done; true)
endif
PYTHON313_DIR := $(patsubst %/,%,$(dir $(PYTHON313)))

# The test virtualenv mirrors Lambda when 3.13 is there; any python3 does otherwise.
VENV_PYTHON ?= $(or $(PYTHON313),python3)
# aws-sam-cli runs on any supported Python; it only needs python3.13 on PATH to *build* for it.
SAM_PYTHON ?= python3

# pip's own output goes to a log in the virtualenv: a first install takes minutes, and a wall of
# "Collecting ..." hides what is going on. Its end is shown when it fails.
#   $(call pip_install,<virtualenv>,<requirements file>,<rough time of a first install>)
define pip_install
	@echo "installing $(2) into $(1) (about $(3) the first time, seconds when up to date; log: $(1)/pip.log)"
	@start=$$SECONDS; \
	if $(1)/bin/python -m pip install --disable-pip-version-check --progress-bar off -r $(2) \
	    > $(1)/pip.log 2>&1; then \
	  echo "installed $(2) into $(1) in $$((SECONDS - start)) s"; \
	else \
	  tail -n 30 $(1)/pip.log; echo "pip failed: see $(1)/pip.log"; exit 1; \
	fi
endef

VENV_STAMP     := $(VENV)/.installed
SAM_VENV_STAMP := $(SAM_VENV)/.installed
SAM            := $(SAM_VENV)/bin/sam
PYTEST         := $(VENV)/bin/python -m pytest
# What Lambda puts on sys.path (the layer, the function folder), plus the repository for the
# local tooling; pyproject.toml gives pytest the same.
LAMBDA_PATH    := layers/shared:functions/provider:functions/invoker:.

# Only the folders that exist.
LINT_PATHS := $(wildcard functions layers localaws tests tools bench)

.PHONY: help venv sam-venv lint validate build unit integration test demo docs clean distclean
.PHONY: deploy local-aws sam-local-aws sam-local-invoke sam-local-response

help:
	@sed -n 's/^#   make /  make /p' $(MAKEFILE_LIST)
	@echo "python3.13 for sam build: $(or $(PYTHON313),none found)"

# --- virtualenvs ---------------------------------------------------------------------------------
venv: $(VENV_STAMP)

# Recreated only when missing or broken (an interpreter that pyenv no longer has); an existing
# working .venv is kept whatever its Python version, and just brought up to date.
$(VENV_STAMP): requirements-dev.txt $(wildcard layers/shared/requirements.txt)
	@if ! $(VENV)/bin/python -c '' 2>/dev/null; then \
	  echo "creating $(VENV) with $(VENV_PYTHON)"; \
	  rm -rf $(VENV); $(VENV_PYTHON) -m venv $(VENV); \
	fi
	$(call pip_install,$(VENV),requirements-dev.txt,2 minutes)
	@$(VENV)/bin/python -c 'import sys; v = sys.version_info[:2]; \
	  v == (3, 13) or print(f"note: $(VENV) runs Python {v[0]}.{v[1]}, Lambda runs 3.13")'
	@touch $@

sam-venv: $(SAM_VENV_STAMP)

$(SAM_VENV_STAMP): requirements-sam.txt
	@if ! $(SAM_VENV)/bin/python -c '' 2>/dev/null; then \
	  echo "creating $(SAM_VENV) with $(SAM_PYTHON)"; \
	  rm -rf $(SAM_VENV); $(SAM_PYTHON) -m venv $(SAM_VENV); \
	fi
	$(call pip_install,$(SAM_VENV),requirements-sam.txt,2 minutes)
	@touch $@

# --- checks --------------------------------------------------------------------------------------
# mypy once per function: both have an app.py, as Lambda wants, and each sees the layer.
lint: venv
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy functions/provider layers/shared
	$(VENV)/bin/mypy functions/invoker layers/shared

validate: sam-venv
	$(SAM) validate --lint --template-file template.yaml

build: sam-venv
ifeq ($(PYTHON313),)
	@echo "WARNING: no working python3.13 found (PATH, \$$PYENV_ROOT/versions/3.13*, pyenv prefix 3.13): skipping 'sam build'. Install Python 3.13 or run 'make build PYTHON313=/path/to/python3.13'."
else
	PATH="$(PYTHON313_DIR):$$PATH" $(SAM) build --template-file template.yaml
endif

unit: venv
	$(PYTEST) tests/unit

integration: venv
	$(PYTEST) tests/integration

# e2e tests skip themselves without AWS credentials.
test: lint validate build
	$(PYTEST) tests

demo: venv
	PYTHONPATH=$(LAMBDA_PATH) $(VENV)/bin/python -m localaws.demo $(EXAMPLE) $(DEMO_ARGS)

# --- deploying -----------------------------------------------------------------------------------
# sam build needs python3.13 first on PATH (without it: "Binary validation failed for python");
# `build` puts the one found there. The region is left to your AWS configuration (the guided
# prompts show it) unless AWS_REGION or AWS_DEFAULT_REGION is set: the default exported above is
# only for validate and build.
deploy:
ifeq ($(PYTHON313),)
	@echo "make deploy needs a working python3.13 for sam build (PATH, \$$PYENV_ROOT/versions/3.13*, pyenv prefix 3.13), or make deploy PYTHON313=/path/to/python3.13"; exit 1
else
	$(MAKE) build
	$(if $(AWS_REGION),,$(if $(filter file,$(origin AWS_DEFAULT_REGION)),env -u AWS_DEFAULT_REGION)) \
	  $(SAM) deploy --guided
endif

# --- the local AWS, alone and for sam local ------------------------------------------------------
LOCAL_AWS_CA ?= .aws-sam/localaws-ca.pem
FUNCTION     ?= ProviderFunction
EVENT        ?= events/create.json

local-aws: venv
	PYTHONPATH=$(LAMBDA_PATH) $(VENV)/bin/python -m localaws --port 5000

# Containers reach this machine as host.docker.internal (--add-host maps it on Linux too), over
# HTTPS: crhelper answers a ResponseURL over HTTPS only. Clients trust $(LOCAL_AWS_CA).
sam-local-aws: venv
	@mkdir -p $(dir $(LOCAL_AWS_CA))
	PYTHONPATH=$(LAMBDA_PATH) $(VENV)/bin/python -m localaws --host 0.0.0.0 --port 5000 \
	  --ca-file $(LOCAL_AWS_CA)

# sam local invoke runs the function in a container: it needs Docker or Finch, running.
sam-local-invoke: build venv
	PYTHONPATH=$(LAMBDA_PATH) $(VENV)/bin/python -m localaws.sam_local --ca-file $(LOCAL_AWS_CA)
	$(SAM) local invoke --template .aws-sam/build/template.local.json \
	  --env-vars events/local-env.json --add-host host.docker.internal:host-gateway \
	  --event $(EVENT) $(FUNCTION)

sam-local-response: venv
	PYTHONPATH=$(LAMBDA_PATH) $(VENV)/bin/python -m localaws.sam_local --ca-file $(LOCAL_AWS_CA) \
	  --response $(basename $(notdir $(EVENT)))

# Benchmarks (bench/, not part of `make test`): `make bench` writes bench/RESULTS.md in about
# 10 minutes, after `build` (for the deployment size); `make bench-smoke` checks in under a minute
# that they all still run. The cold start is measured on Lambda's Python 3.13, in a throwaway
# virtualenv with the pinned packages.
BENCH_VENV ?= /tmp/sagemaker-endpoint-bench-py313
BENCH_COLD_PYTHON = $(if $(PYTHON313),$(BENCH_VENV)/bin/python,$(VENV)/bin/python)

.PHONY: bench bench-smoke

bench: venv build $(if $(PYTHON313),$(BENCH_VENV)/.installed)
	PYTHONPATH=$(LAMBDA_PATH) BENCH_COLD_PYTHON=$(BENCH_COLD_PYTHON) $(VENV)/bin/python -m bench.run

bench-smoke: venv
	PYTHONPATH=$(LAMBDA_PATH) BENCH_COLD_PYTHON=$(VENV)/bin/python $(VENV)/bin/python -m bench.run --smoke

$(BENCH_VENV)/.installed: requirements-dev.txt $(wildcard layers/shared/requirements.txt)
	@if ! $(BENCH_VENV)/bin/python -c '' 2>/dev/null; then \
	  echo "creating $(BENCH_VENV) with $(PYTHON313)"; \
	  rm -rf $(BENCH_VENV); $(PYTHON313) -m venv $(BENCH_VENV); \
	fi
	$(call pip_install,$(BENCH_VENV),requirements-dev.txt,2 minutes)
	@touch $@

# The property reference is generated from the property model; a unit test checks it is current.
docs: venv
	PYTHONPATH=$(LAMBDA_PATH) $(VENV)/bin/python -m tools.property_reference

# --- housekeeping --------------------------------------------------------------------------------
clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache build
	find . \( -path ./.git -o -path ./$(VENV) -o -path ./$(SAM_VENV) \) -prune -o \
	  -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(SAM_VENV)
