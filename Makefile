# mc-proxy: build, test and run. `make help` lists the targets.
DOTNET ?= dotnet
CONFIGURATION ?= Release
SOLUTION := McProxy.slnx

.PHONY: help all build format format-fix test mc-proxy mcproxyctl devserver clean

help:
	@echo "make mc-proxy   build the server executable at ./mc-proxy"
	@echo "make mcproxyctl build the admin client at ./mcproxyctl"
	@echo "make devserver  run the proxy on an example config with demo backends (srv/)"
	@echo "make test       run every test"
	@echo "make all        format check, build and tests (what CI runs)"
	@echo "make format-fix apply the code style"

all: format build test

build:
	$(DOTNET) build $(SOLUTION) -c $(CONFIGURATION) --nologo -v quiet

format:
	$(DOTNET) format $(SOLUTION) --verify-no-changes

format-fix:
	$(DOTNET) format $(SOLUTION)

test:
	scripts/test.sh

mc-proxy:
	$(DOTNET) publish src/McProxy/McProxy.csproj -c $(CONFIGURATION) -o out/mc-proxy --nologo -v quiet
	ln -sf out/mc-proxy/mc-proxy mc-proxy

mcproxyctl:
	$(DOTNET) publish src/McProxyCtl/McProxyCtl.csproj -c $(CONFIGURATION) -o out/mcproxyctl --nologo -v quiet
	ln -sf out/mcproxyctl/mcproxyctl mcproxyctl

devserver: mc-proxy
	scripts/devserver.sh

clean:
	rm -rf out mc-proxy mcproxyctl
	$(DOTNET) clean $(SOLUTION) --nologo -v quiet
