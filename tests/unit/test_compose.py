"""docker-compose.yml and deploy/ hold together: every service, volume, file, port and URL they name exists.

`docker compose config` would check some of this, but the machine has no compose plugin; these
checks read the files as data and need neither Docker nor the network.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEME_PORTS = {"http": 80, "https": 443, "amqp": 5672, "postgresql": 5432}


@cache
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {key: str(value) for key, value in env.items() if value is not None}


def mounts(service: dict) -> list[tuple[str, str, str]]:
    """(type, source, target) of each of the service's volumes, short or long syntax."""
    found = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            found.append((volume["type"], volume.get("source", ""), volume["target"]))
            continue
        source, _, rest = volume.partition(":")
        if not rest:  # an anonymous volume: "/path" only
            found.append(("volume", "", source))
        else:
            kind = "bind" if source.startswith((".", "/", "~")) else "volume"
            found.append((kind, source, rest.split(":")[0]))
    return found


def host_path(service_name: str, container_path: str | PurePosixPath) -> Path:
    """The repository file a service sees at container_path, through its bind mounts."""
    path = PurePosixPath(container_path)
    binds = [(source, target) for kind, source, target in mounts(services()[service_name]) if kind == "bind"]
    for source, target in sorted(binds, key=lambda bind: -len(bind[1])):
        if path.is_relative_to(target):
            return ROOT / source / path.relative_to(target)
    raise AssertionError(f"{service_name} bind-mounts nothing at {container_path}")


def port_mappings(service: dict) -> list[tuple[str | None, int]]:
    """(published host port or None, container port) of each `ports` entry."""
    found = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            found.append((str(entry["published"]) if entry.get("published") else None, int(entry["target"])))
        else:
            parts = str(entry).split("/")[0].rsplit(":", 2)  # [ip:]host:container or container
            found.append((parts[-2] if len(parts) > 1 else None, int(parts[-1])))
    return found


def listening_ports(service: dict) -> set[int]:
    """The container ports a service listens on: its PORT, `expose` and the targets of `ports`."""
    ports = {int(str(port).split("/")[0]) for port in service.get("expose", [])}
    ports |= {container for _, container in port_mappings(service)}
    if "PORT" in environment(service):
        ports.add(int(environment(service)["PORT"]))
    return ports


def unreachable(address: str, where: str) -> list[str]:
    """Why `address` (host:port or a URL) names no compose service listening on that port; [] if it does."""
    parts = urlsplit(address if "://" in address else f"//{address}")
    host, port = parts.hostname, parts.port or SCHEME_PORTS.get(parts.scheme.split("+")[0])
    if host not in services():
        return [f"{where}: {address!r} names no compose service"]
    if port not in listening_ports(services()[host]):
        return [f"{where}: {host} listens on {sorted(listening_ports(services()[host]))}, not {port}"]
    return []


def prometheus_config() -> tuple[PurePosixPath, dict]:
    """Where Prometheus reads its config inside its container, and the config."""
    flags = dict(arg.split("=", 1) for arg in services()["prometheus"].get("command", []) if "=" in arg)
    path = PurePosixPath(flags.get("--config.file", "/etc/prometheus/prometheus.yml"))
    return path, yaml.safe_load(host_path("prometheus", path).read_text())


def grafana_provisioned(kind: str, key: str) -> list[dict]:
    """What Grafana's provisioning files of one kind list under key, e.g. ("dashboards", "providers")."""
    files = sorted(host_path("grafana", f"/etc/grafana/provisioning/{kind}").glob("*.y*ml"))
    assert files, f"Grafana has no {kind} provisioning files"
    return [item for path in files for item in yaml.safe_load(path.read_text())[key]]


def test_compose_file_matches_the_compose_spec_schema():
    check = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [check, "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_depends_on_target_is_a_defined_service():
    problems = [
        f"{name} depends on undefined {target!r}"
        for name, service in services().items()
        for target in service.get("depends_on", [])
        if target not in services()
    ]
    assert not problems, problems


def test_every_named_volume_is_declared_at_top_level():
    declared = compose().get("volumes") or {}
    problems = [
        f"{name} mounts undeclared volume {source!r}"
        for name, service in services().items()
        for kind, source, _ in mounts(service)
        if kind == "volume" and source and source not in declared
    ]
    assert not problems, problems


def test_every_bind_mounted_and_config_file_exists():
    sources = [
        (name, source)
        for name, service in services().items()
        for kind, source, _ in mounts(service)
        if kind == "bind"
    ]
    sources += [
        (f"{section} {key}", spec["file"])
        for section in ("configs", "secrets")
        for key, spec in (compose().get(section) or {}).items()
        if "file" in spec
    ]
    problems = [
        f"{owner}: {source} does not exist" for owner, source in sources if not (ROOT / source).exists()
    ]
    assert not problems, problems


def test_every_build_context_and_dockerfile_exists():
    builds = {name: service["build"] for name, service in services().items() if "build" in service}
    assert builds, "no service builds the application image"
    for name, build in builds.items():
        build = {"context": build} if isinstance(build, str) else build
        context = ROOT / build.get("context", ".")
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert context.is_dir(), f"{name}: build context {context} is not a directory"
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


def test_every_file_the_dockerfile_copies_and_the_commands_name_exists():
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = [
        arg
        for line in re.findall(r"^COPY\s+(.+)$", dockerfile, re.MULTILINE)
        for arg in line.split()[:-1]
        if not arg.startswith("--") and arg != "."
    ]
    named = [
        arg
        for service in services().values()
        for arg in service.get("command", [])
        if "/" in arg and not arg.startswith("/") and PurePosixPath(arg).suffix
    ]
    missing = [path for path in copied + named if not (ROOT / path).exists()]
    assert not missing, f"named by the Dockerfile or a command, but missing from the repository: {missing}"


def test_web_and_worker_of_each_service_share_a_metrics_volume_of_their_own():
    def metrics_volume(name: str) -> str | None:
        service = services()[name]
        directory = environment(service).get("PROMETHEUS_MULTIPROC_DIR")
        return next(
            (source for kind, source, target in mounts(service) if kind == "volume" and target == directory),
            None,
        )

    apps = [name.removesuffix("-web") for name in services() if name.endswith("-web")]
    volumes = {app: (metrics_volume(f"{app}-web"), metrics_volume(f"{app}-worker")) for app in apps}
    assert apps and all(web and web == worker for web, worker in volumes.values()), volumes
    assert len({web for web, _ in volumes.values()}) == len(apps), f"apps share a metrics volume: {volumes}"


def test_every_process_with_a_port_binds_all_interfaces_so_other_containers_reach_it():
    bound = {
        name: environment(service).get("HOST")
        for name, service in services().items()
        if "PORT" in environment(service)
    }
    assert bound and all(host == "0.0.0.0" for host in bound.values()), bound


def test_every_url_in_the_environment_names_a_service_listening_on_that_port():
    problems = []
    for name, service in services().items():
        env = environment(service)
        addresses = [value for value in env.values() if "://" in value]
        if "SMTP_HOST" in env:
            addresses.append(f"{env['SMTP_HOST']}:{env.get('SMTP_PORT', 25)}")
        problems += [problem for address in addresses for problem in unreachable(address, name)]
    assert not problems, problems


def test_every_database_url_names_a_database_the_init_script_creates():
    scripts = [
        ROOT / source
        for kind, source, target in mounts(services()["postgres"])
        if kind == "bind" and target.startswith("/docker-entrypoint-initdb.d")
    ]
    created = {
        match.lower()
        for script in scripts
        for match in re.findall(r"CREATE DATABASE\s+\"?(\w+)", script.read_text(), re.IGNORECASE)
    }
    wanted = {
        urlsplit(value).path.lstrip("/")
        for service in services().values()
        for value in environment(service).values()
        if value.startswith("postgresql")
    }
    assert wanted and wanted <= created, f"databases not created by {scripts}: {wanted - created}"


def test_every_prometheus_scrape_target_is_a_service_listening_on_that_port():
    _, config = prometheus_config()
    problems = []
    for job in config["scrape_configs"]:
        # A probe job scrapes the relabelled __address__ (the exporter), which then reaches the target.
        addresses = [
            rule["replacement"]
            for rule in job.get("relabel_configs", [])
            if rule.get("target_label") == "__address__"
        ]
        addresses += [target for static in job.get("static_configs", []) for target in static["targets"]]
        problems += [problem for address in addresses for problem in unreachable(address, job["job_name"])]
    assert not problems, problems


def test_every_prometheus_rule_file_exists_and_holds_rule_groups():
    path, config = prometheus_config()
    assert config.get("rule_files"), "Prometheus loads no alert rules"
    for pattern in config["rule_files"]:
        rules = host_path("prometheus", path.parent / pattern)
        files = sorted(rules.parent.glob(rules.name))
        assert files, f"rule_files entry {pattern!r} matches no file"
        for file in files:
            assert yaml.safe_load(file.read_text()).get("groups"), f"{file} has no rule groups"


def test_grafana_datasources_point_at_a_service_listening_on_that_port():
    sources = grafana_provisioned("datasources", "datasources")
    problems = [problem for source in sources for problem in unreachable(source["url"], source["name"])]
    assert sources and not problems, problems


def test_grafana_dashboards_parse_and_use_provisioned_datasources():
    uids = {source.get("uid") for source in grafana_provisioned("datasources", "datasources")}
    folders = [
        host_path("grafana", provider["options"]["path"])
        for provider in grafana_provisioned("dashboards", "providers")
    ]
    files = [file for folder in folders for file in sorted(folder.glob("*.json"))]
    assert files, f"no dashboard JSON in {folders}"
    home = environment(services()["grafana"]).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    assert not home or host_path("grafana", home).is_file(), f"home dashboard {home} does not exist"
    problems = []
    for file in files:
        try:
            dashboard = json.loads(file.read_text())
        except json.JSONDecodeError as exc:
            raise AssertionError(f"{file} is not valid JSON: {exc}") from None
        for panel in dashboard["panels"]:
            refs = [panel.get("datasource"), *(target.get("datasource") for target in panel["targets"])]
            problems += [
                f"{file.name}: panel {panel['title']!r} uses datasource {ref['uid']!r}"
                for ref in refs
                if isinstance(ref, dict) and ref.get("uid") not in uids
            ]
    assert not problems, problems


def test_no_two_services_publish_the_same_host_port():
    published = [
        (host_port, name)
        for name, service in services().items()
        for host_port, _ in port_mappings(service)
        if host_port
    ]
    owners = {port: [name for p, name in published if p == port] for port, _ in published}
    shared = {port: names for port, names in owners.items() if len(names) > 1}
    assert not shared, f"host ports published by more than one service: {shared}"


# --- the buffering proxy in front of the webs (issue 9: slow clients, no address in the logs) ---

PROXY = "proxy"
NGINX_CONF = PurePosixPath("/etc/nginx/nginx.conf")
ADDRESS_VARIABLES = (
    "$remote_addr",
    "$binary_remote_addr",
    "$http_x_forwarded_for",
    "$proxy_add_x_forwarded_for",
)


def nginx(text: str) -> list[tuple[str, list[str], list]]:
    """nginx's configuration as (directive, arguments, block) triples, blocks nested the same way."""
    tokens = re.findall(r"'[^']*'|\"[^\"]*\"|[{};]|[^\s{};'\"]+", re.sub(r"(?m)#.*$", "", text))
    stack: list[list] = [[]]
    words: list[str] = []
    for token in tokens:
        if token == "{":
            block: list = []
            stack[-1].append((words[0], words[1:], block))
            stack.append(block)
            words = []
        elif token == "}":
            stack.pop()
        elif token == ";":
            stack[-1].append((words[0], words[1:], []))
            words = []
        else:
            words.append(token.strip("'\""))
    return stack[0]


def directives(tree: list, name: str) -> list[tuple[list[str], list]]:
    """Every `name` directive anywhere in the tree: (arguments, block)."""
    found = []
    for directive, args, block in tree:
        if directive == name:
            found.append((args, block))
        found += directives(block, name)
    return found


@cache
def proxy_config() -> list:
    return nginx(host_path(PROXY, NGINX_CONF).read_text())


def http_settings() -> dict[str, list[str]]:
    """The directives of the `http` block itself, name → arguments."""
    ((_, http),) = directives(proxy_config(), "http")
    return {directive: args for directive, args, _ in http}


def test_the_host_reaches_the_webs_only_through_the_proxy():
    webs = {name: service for name, service in services().items() if name.endswith("-web")}
    assert webs and not [name for name, service in webs.items() if port_mappings(service)]
    published = {container for _, container in port_mappings(services()[PROXY])}
    assert published == {int(environment(service)["PORT"]) for service in webs.values()}
    assert all(host.startswith("127.0.0.1:") for host in services()[PROXY]["ports"])


def test_each_proxy_port_passes_to_the_web_listening_there_and_keeps_metrics_in():
    published = {container for _, container in port_mappings(services()[PROXY])}
    servers = [block for _, block in directives(proxy_config(), "server")]
    problems, listened = [], set()
    for server in servers:
        port = int(directives(server, "listen")[0][0][0])
        listened.add(port)
        targets = [args[0] for args, _ in directives(server, "proxy_pass")]
        assert targets, f"the server on {port} passes nothing on"
        problems += [
            problem for target in targets for problem in unreachable(target.split("$")[0], f"proxy {port}")
        ]
        if not any(args == ["=", "/metrics"] for args, _ in directives(server, "location")):
            problems.append(f"the server on {port} lets /metrics out")
    assert listened == published, (listened, published)
    assert not problems, problems


def test_the_proxy_buffers_whole_requests_and_times_slow_clients_out():
    settings = http_settings()
    assert settings.get("proxy_request_buffering") == ["on"]
    for timeout in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        assert timeout in settings, f"{timeout} not set"
        assert int(settings[timeout][0].removesuffix("s")) <= 30, settings[timeout]


def test_the_proxy_logs_no_client_address():
    formats = [" ".join(args) for args, _ in directives(proxy_config(), "log_format")]
    access = [args for args, _ in directives(proxy_config(), "access_log")]
    named = {args[0] for args, _ in directives(proxy_config(), "log_format")}
    # Every access log uses one of our formats (nginx's default "combined" has the address).
    assert access and all(args == ["off"] or (len(args) > 1 and args[1] in named) for args in access)
    assert not [f for f in formats if any(variable in f for variable in ADDRESS_VARIABLES)], formats
    # nginx puts "client: <address>" into every error about a connection, at "error" and below.
    levels = [args[1] if len(args) > 1 else "error" for args, _ in directives(proxy_config(), "error_log")]
    assert levels and set(levels) <= {"crit", "alert", "emerg"}, levels


def test_the_proxy_sends_the_client_address_only_as_it_saw_it():
    forwarded = [
        args
        for args, _ in directives(proxy_config(), "proxy_set_header")
        if args[0].lower() == "x-forwarded-for"
    ]
    assert forwarded == [["X-Forwarded-For", "$remote_addr"]], forwarded  # replaced, never appended to


def test_the_proxy_configuration_passes_nginx_own_check(tmp_path):
    binary = shutil.which("nginx")
    assert binary is not None, "nginx is missing: `make test-deps` installs it (Debian's nginx)"
    result = subprocess.run(
        [
            binary,
            "-t",
            "-q",
            "-c",
            str(host_path(PROXY, NGINX_CONF)),
            "-p",
            f"{tmp_path}/",
            "-e",
            "/dev/stderr",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_prometheus_scrapes_with_the_metrics_token_the_services_expect():
    default = compose()["x-env"]["METRICS_TOKEN"].split(":-", 1)[1].rstrip("}")
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    [job] = [j for j in prometheus["scrape_configs"] if j["job_name"] == "xinsheng"]
    assert job["authorization"] == {"type": "Bearer", "credentials": default}
    assert all(environment(s).get("METRICS_TOKEN") for n, s in services().items() if n.endswith("-web"))


def test_the_webs_behind_the_proxy_trust_exactly_one_proxy():
    webs = {n: s for n, s in services().items() if n.endswith("-web")}
    assert webs and all(environment(s)["TRUSTED_PROXIES"] == "1" for s in webs.values())
