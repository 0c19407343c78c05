# mc-proxy: build, test and run. `make help` lists the targets.
DOTNET ?= dotnet
CONFIGURATION ?= Release
SOLUTION := McProxy.slnx
IMAGE ?= mc-proxy

.PHONY: help all build format format-fix test test-unit test-functional test-deps mc-proxy mcproxyctl docker devserver bench bench-quick bench-micro loadgen clean

help:
	@echo "make mc-proxy   build the server executable at ./mc-proxy"
	@echo "make mcproxyctl build the admin CLI at ./mcproxyctl"
	@echo "make docker     build the container image $(IMAGE) (deploy/Dockerfile)"
	@echo "make devserver  run the proxy on an example config with demo backends (srv/)"
	@echo "make test       install what the tests need (once), then run every test"
	@echo "make test-unit  only the unit tests: no proxy, socket or external tool (seconds)"
	@echo "make test-functional the other tests: loopback proxies, peers and tools"
	@echo "make all        format check, build and tests (what CI runs)"
	@echo "make format-fix apply the code style"
	@echo "make bench      mc-proxy against HAProxy and nginx (about 10 min; BENCH_* settings in bench/run.sh)"
	@echo "make bench-quick the same, one short run of each figure (about 2 min)"
	@echo "make bench-micro BenchmarkDotNet micro-benchmarks of the parsers and lookups"

all: format build test

build:
	$(DOTNET) build $(SOLUTION) -c $(CONFIGURATION) --nologo -v quiet

format:
	$(DOTNET) format $(SOLUTION) --verify-no-changes

format-fix:
	$(DOTNET) format $(SOLUTION)

# The tests run real peers and tools (HAProxy, nginx, shellcheck, ...): test-deps installs the missing ones, and is
# silent when nothing is missing. Unit tests need none of them ([UnitTest], tests/McProxy.Tests/TestInfrastructure).
test: test-deps
	scripts/test.sh

# The test project alone: the solution's bench and example projects need no build for it.
test-unit:
	TEST_PROJECT=tests/McProxy.Tests scripts/test.sh --filter Category=Unit

test-functional: test-deps
	scripts/test.sh --filter 'Category!=Unit'

test-deps:
	@scripts/install-test-deps.sh

mc-proxy:
	$(DOTNET) publish src/McProxy/McProxy.csproj -c $(CONFIGURATION) -o out/mc-proxy --nologo -v quiet
	ln -sf out/mc-proxy/mc-proxy mc-proxy

mcproxyctl:
	$(DOTNET) publish src/McProxyCtl/McProxyCtl.csproj -c $(CONFIGURATION) -o out/mcproxyctl --nologo -v quiet
	ln -sf out/mcproxyctl/mcproxyctl mcproxyctl

# The image builds with the targets above (deploy/Dockerfile runs `make mc-proxy mcproxyctl`).
docker:
	docker build -f deploy/Dockerfile -t $(IMAGE) .

devserver: mc-proxy
	scripts/devserver.sh

loadgen:
	$(DOTNET) publish bench/McProxy.LoadGen/McProxy.LoadGen.csproj -c Release -o out/loadgen --nologo -v quiet

bench: mc-proxy loadgen
	bench/install-peers.sh
	bench/run.sh

bench-quick: mc-proxy loadgen
	bench/install-peers.sh
	BENCH_QUICK=1 bench/run.sh

bench-micro:
	$(DOTNET) run --project bench/McProxy.Benchmarks -c Release -- --filter '*' $(BENCH_MICRO_ARGS)

clean:
	rm -rf out mc-proxy mcproxyctl
	$(DOTNET) clean $(SOLUTION) --nologo -v quiet
