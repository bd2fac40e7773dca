# Operator and developer shortcuts; docs/operators.md explains the workflow.
#
#   make model-proxy-install   install dependencies and build (safe to re-run)
#   make model-tunnel          the built proxy on 127.0.0.1:4100 + the Cloudflare tunnel, Ctrl-C stops both
#   make mock-vllm             a mock vLLM on 127.0.0.1:8123 serving google/gemma-4-31b
#   make start | make test     npm start | npm test
#
# model-tunnel settings are passed through the environment to infra/model-tunnel.sh, e.g.
#   make model-tunnel PORT=4200 PROXY_CONFIG=/etc/model-proxy/litellm.config.yaml \
#        CLOUDFLARED=/usr/local/bin/cloudflared CLOUDFLARED_CONFIG=/etc/cloudflared/config-model.yml
# (defaults: 4100, infra/litellm.config.yaml, cloudflared on PATH, ~/.cloudflared/config-model.yml).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

MOCK_VLLM_PORT ?= 8123
MOCK_VLLM_MODEL ?= google/gemma-4-31b

.PHONY: help model-proxy-install model-tunnel mock-vllm start test

help:
	@sed -n '3,6s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

model-proxy-install:
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 19)) { console.error(`model-proxy-install: Node 20.19 or newer is needed, found $${process.version}`); process.exit(1); }'
	npm ci
	npm run build
	@echo
	@echo "model-proxy-install: done."
	@echo "  - dependencies installed from package-lock.json (npm ci), including the embedded PostgreSQL binaries"
	@echo "  - built dist/src/main.js, which make model-tunnel, make start and the systemd unit run"
	@echo "  - database: nothing to do by hand. Migrations run at every boot under a PostgreSQL advisory lock,"
	@echo "    so the database (DATABASE_URL, or the embedded one in .data/postgres) is ready on first start"
	@if [[ -f "$${TOKENS_ENV:-tokens.env}" ]]; then \
	  echo "  - secrets: $${TOKENS_ENV:-tokens.env} found, kept as is"; \
	else \
	  echo "  - secrets: no $${TOKENS_ENV:-tokens.env} yet; the first start writes one (mode 0600) with a fresh master and salt key"; \
	fi
	@echo "  next: make model-tunnel (see docs/operators.md)"

model-tunnel:
	@infra/model-tunnel.sh

mock-vllm:
	npm run mock-vllm -- --port $(MOCK_VLLM_PORT) --model $(MOCK_VLLM_MODEL)

start:
	npm start

test:
	npm test
