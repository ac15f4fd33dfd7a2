"""The Docker sandbox with a real Docker Engine and the hello-mission image (no mocks).

Skipped when no engine answers, unless GRADER_REQUIRE_DOCKER=1 makes that a failure. The image
is built once per session (a no-op when it exists); the base image is built by
scripts/build-base-image.sh when missing (minutes, once).
"""

from __future__ import annotations

import os
import subprocess
import textwrap
import time
import uuid
from pathlib import Path

import docker
import docker.errors
import pytest
from werkzeug.test import Client

from conftest import FILL_ROUTES
from grader.exercise import find_exercise
from grader.rubric import Limits
from grader.sandbox.base import AppStartError, AppUnavailable
from grader.sandbox.docker import DATA_FLOOR_MB, RUN_LABEL, UID, DockerSandbox, remove_run_containers
from grader.sandbox.image import DEFAULT_BASE, build_image, docker_client

REPO = Path(__file__).resolve().parent.parent
BASE_SCRIPT = REPO / "scripts" / "build-base-image.sh"
START_TIMEOUT = 5  # a container start costs about a second; leave room on a loaded machine

BASE_APP = """\
import os
import sys
import time

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/")
def home():
    return "home"
"""


@pytest.fixture(scope="session")
def engine() -> docker.DockerClient:
    client = docker_client()
    if client is None:
        if os.environ.get("GRADER_REQUIRE_DOCKER") == "1":
            pytest.fail("GRADER_REQUIRE_DOCKER=1 but no Docker Engine answers")
        pytest.skip("no Docker Engine answers (set GRADER_REQUIRE_DOCKER=1 to make this a failure)")
    return client


@pytest.fixture(scope="session")
def image(engine: docker.DockerClient) -> str:
    """The hello-mission image's tag, built once (and the base image first if it is missing)."""
    try:
        engine.images.get(DEFAULT_BASE)
    except docker.errors.ImageNotFound:
        process = subprocess.run(["bash", str(BASE_SCRIPT)], capture_output=True, text=True, timeout=1800)
        assert process.returncode == 0, f"{BASE_SCRIPT.name} failed:\n{process.stdout}\n{process.stderr}"
    return build_image(find_exercise("hello-mission"), client=engine)


@pytest.fixture
def run_id(engine: docker.DockerClient):
    """A fresh run id; whatever container a test leaves with it is removed afterwards."""
    value = f"test-{uuid.uuid4().hex}"
    yield value
    remove_run_containers(engine, value)


def run_containers(engine: docker.DockerClient, run_id: str) -> list:
    return engine.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})


def write_app(folder: Path, extra: str = "", files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(BASE_APP + textwrap.dedent(extra))
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def app_volume(connection) -> str:
    """The name of the anonymous volume that holds a container's /app."""
    return next(m["Name"] for m in connection.container.attrs["Mounts"] if m["Destination"] == "/app")


@pytest.fixture
def start(tmp_path: Path, image: str, run_id: str):
    """start(extra_source, files=None, **limits) -> a started connection; all are closed at teardown."""
    connections = []

    def start(extra: str = "", files: dict[str, str] | None = None, **limits):
        app = write_app(tmp_path / f"app{len(connections)}", extra, files)
        values = {"request_timeout": 1, "start_timeout": START_TIMEOUT, **limits}
        connection = DockerSandbox(image, run_id=run_id).start(app, Limits(**values))
        connections.append(connection)
        return connection

    yield start
    for connection in connections:
        connection.close()


@pytest.mark.docker
def test_container_policy(start, run_id: str):
    limits = {"memory_mb": 200, "processes": 42, "cpus": 0.5}
    connection = start(**limits)
    container = connection.container
    container.reload()
    host = container.attrs["HostConfig"]
    assert host["NetworkMode"] == "none"
    # The app's files are in RAM (tmpfs), so the memory limit is memory + disk (256 MiB by default).
    assert host["Memory"] == host["MemorySwap"] == (200 + 256) * 1024 * 1024
    assert host["ShmSize"] == 64 * 1024 * 1024
    assert host["LogConfig"]["Type"] == "none"  # no log file on the host for a chatty app to grow
    assert host["PidsLimit"] == 42
    # RLIMIT_DATA: the memory, but never under the floor runc needs to start (200 MiB → 256).
    assert {u["Name"]: u["Hard"] for u in host["Ulimits"]}["data"] == DATA_FLOOR_MB * 1024 * 1024
    assert host["NanoCpus"] == 500_000_000
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert not host.get("CapAdd")
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Privileged"] is False
    assert not host.get("Binds")
    assert not host.get("Devices")
    app = [m for m in host["Mounts"] if m["Target"] == "/app"]
    assert [m["Type"] for m in app] == ["volume"] and not app[0].get("Source")
    # The image's own /usr and /opt/grader, from volumes copied from it: read-only.
    runtime = sorted((m["Type"], m["Target"], m.get("ReadOnly")) for m in host["Mounts"] if m["Target"] != "/app")
    assert runtime == [("volume", "/opt/grader", True), ("volume", "/usr", True)]
    assert list(host.get("Tmpfs") or {}) == ["/tmp"]
    assert "size=64m" in host["Tmpfs"]["/tmp"]
    # /app: an anonymous volume on a tmpfs of its own: disk_mb less /tmp and /dev/shm.
    volume = app[0]["VolumeOptions"]["DriverConfig"]
    assert volume["Name"] == "local" and volume["Options"]["type"] == "tmpfs"
    assert f"size={256 - 2 * 64}m" in volume["Options"]["o"]
    assert container.attrs["Config"]["User"] == f"{UID}:{UID}"
    assert container.attrs["Config"]["Labels"][RUN_LABEL] == run_id
    mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
    assert sorted(mounts) == ["/app", "/opt/grader", "/usr"]
    assert mounts["/app"]["RW"] is True and mounts["/usr"]["RW"] is False and mounts["/opt/grader"]["RW"] is False
    assert container.attrs["State"]["Running"] is True


@pytest.mark.docker
def test_request_works(start):
    connection = start("""
        from flask import request, render_template_string

        @app.route("/echo", methods=["POST"])
        def echo():
            return jsonify(body=request.get_data(as_text=True), cookie=request.cookies.get("c")), 201

        @app.route("/t")
        def t():
            return render_template_string("{{ a }}", a="rendered")

        @app.route("/size", methods=["POST"])
        def size():
            return str(len(request.get_data()))

        @app.route("/big/<int:size>")
        def big(size):
            return b"z" * size
    """)
    client = Client(connection)
    assert client.get("/").text == "home"
    client.set_cookie("c", "choc")
    response = client.post("/echo", data=b"payload")
    assert response.status_code == 201
    assert response.json == {"body": "payload", "cookie": "choc"}
    assert client.get("/t").text == "rendered"
    assert "a" in connection.rendered_templates()[0].context
    assert "/echo" in {route.rule for route in connection.routes()}
    assert connection.config()["TESTING"] is True
    assert client.get("/nope").status_code == 404
    # Frames far larger than one chunk of Docker's multiplexed stream, both ways.
    assert client.post("/size", data=b"u" * (4 << 20)).text == str(4 << 20)
    assert client.get(f"/big/{10 << 20}").data == b"z" * (10 << 20)


@pytest.mark.docker
def test_timeout_fails_one_request_and_the_next_works(start):
    connection = start("""
        @app.route("/slow")
        def slow():
            time.sleep(30)
    """)
    client = Client(connection)
    began = time.monotonic()
    with pytest.raises(AppUnavailable, match=r"^GET /slow did not answer within 1 s$"):
        client.get("/slow")
    assert time.monotonic() - began < 5
    assert client.get("/").text == "home"
    assert connection.restarts == 1


@pytest.mark.docker
def test_crash_fails_one_request_and_the_next_works(start):
    connection = start("""
        @app.route("/die")
        def die():
            os._exit(3)
    """)
    client = Client(connection)
    with pytest.raises(AppUnavailable, match=r"GET /die crashed the app \(exit code 3\)"):
        client.get("/die")
    assert client.get("/").text == "home"
    assert connection.restarts == 1


@pytest.mark.docker
def test_out_of_memory_fails_one_request_and_the_next_works(start):
    connection = start("""
        @app.route("/hog")
        def hog():
            keep = [b"x" * (1 << 20) for _ in range(512)]
            return str(len(keep))
    """, memory_mb=64, disk_mb=16)  # the container's limit: 80 MiB (memory + disk), under RLIMIT_DATA's 256
    client = Client(connection)
    with pytest.raises(AppUnavailable, match=r"GET /hog crashed the app \(.*out of memory"):
        client.get("/hog")
    assert client.get("/").text == "home"


@pytest.mark.docker
def test_the_runtime_volumes_are_read_only_and_outlive_each_container(start, engine: docker.DockerClient):
    connection = start("""
        @app.route("/write/<path:where>")
        def write(where):
            try:
                with open("/" + where, "w") as handle:
                    handle.write("mine now")
            except OSError as exc:
                return jsonify(error=exc.strerror)
            return jsonify(error=None)
    """)
    client = Client(connection)
    for target in ("usr/lib/python3.11/os.py", "usr/bin/python3", "opt/grader/site/flask/app.py",
                   "opt/grader/agent/agent.py", "usr/evil.py"):
        assert client.get(f"/write/{target}").json["error"] == "Read-only file system", target
    assert client.get("/write/app/notes.txt").json["error"] is None  # its own folder stays writable
    runtime = [m["Name"] for m in connection.container.attrs["Mounts"] if m["Destination"] != "/app"]
    assert len(runtime) == 2
    connection.close()
    assert all(engine.volumes.get(name) for name in runtime)  # shared by every container of the image
    again = start()
    assert Client(again).get("/").text == "home"


@pytest.mark.docker
def test_runtime_volumes_of_a_rebuilt_image_are_pruned(engine: docker.DockerClient, image: str):
    from grader.sandbox.image import RUNTIME_LABEL, prune_runtime_volumes, runtime_mounts

    gone = "sha256:" + "0" * 64  # an image id no image here has
    stale = engine.volumes.create(f"flask-grader-test-{uuid.uuid4().hex[:8]}", labels={RUNTIME_LABEL: gone})
    assert prune_runtime_volumes(engine) >= 1
    with pytest.raises(docker.errors.NotFound):
        engine.volumes.get(stale.name)
    kept = runtime_mounts(engine, image)  # the current image's volumes are kept, and ready
    assert sorted(m["Target"] for m in kept) == ["/opt/grader", "/usr"]


@pytest.mark.docker
def test_container_is_removed_on_close(start, engine: docker.DockerClient, run_id: str):
    connection = start()
    assert Client(connection).get("/").text == "home"
    container_id = connection.container.id
    volume = app_volume(connection)
    connection.close()
    with pytest.raises(docker.errors.NotFound):
        engine.containers.get(container_id)
    with pytest.raises(docker.errors.NotFound):
        engine.volumes.get(volume)
    assert run_containers(engine, run_id) == []
    connection.close()  # twice is fine


@pytest.mark.docker
def test_remove_run_containers(tmp_path: Path, image: str, engine: docker.DockerClient):
    run_id = f"test-{uuid.uuid4().hex}"
    other_run = f"test-{uuid.uuid4().hex}"
    app = write_app(tmp_path / "app")
    limits = Limits(request_timeout=1, start_timeout=START_TIMEOUT)
    first = DockerSandbox(image, run_id=run_id).start(app, limits)
    second = DockerSandbox(image, run_id=run_id).start(app, limits)
    bystander = DockerSandbox(image, run_id=other_run).start(app, limits)
    try:
        assert len(run_containers(engine, run_id)) == 2
        assert remove_run_containers(engine, run_id) == 2
        assert run_containers(engine, run_id) == []
        assert len(run_containers(engine, other_run)) == 1, "another run's container was removed"
        assert Client(bystander).get("/").text == "home"
        assert remove_run_containers(engine, run_id) == 0
        # Closing a connection whose container is already gone is quiet.
        first.close()
        second.close()
    finally:
        bystander.close()
        remove_run_containers(engine, run_id)
        remove_run_containers(engine, other_run)


@pytest.mark.docker
def test_submission_files_are_owned_by_the_sandbox_user_and_writable(start, tmp_path: Path):
    connection = start("""
        @app.route("/files")
        def files():
            with open("written-by-app.txt", "w") as handle:
                handle.write("round trip")
            with open("templates/also.txt", "w") as handle:
                handle.write("nested")
            return jsonify(
                app_uid=os.stat("app.py").st_uid,
                folder_uid=os.stat(".").st_uid,
                templates_uid=os.stat("templates").st_uid,
                writable=os.access("app.py", os.W_OK),
                read_back=open("written-by-app.txt").read(),
                nested=open("templates/also.txt").read(),
                uid=os.getuid(),
                cwd=os.getcwd(),
            )
    """, files={"templates/index.html": "<p>hi</p>"})
    files = Client(connection).get("/files").json
    assert files == {
        "app_uid": UID, "folder_uid": UID, "templates_uid": UID, "writable": True,
        "read_back": "round trip", "nested": "nested", "uid": UID, "cwd": "/app",
    }
    assert not (tmp_path / "app0" / "written-by-app.txt").exists(), "the app wrote into the host's folder"


@pytest.mark.docker
def test_links_and_special_files_are_left_out(start, tmp_path: Path):
    app = tmp_path / "app0"  # the folder `start` writes its first app to
    app.mkdir()
    (app / "link-to-passwd").symlink_to("/etc/hostname")
    (app / "link-to-app").symlink_to("app.py")
    os.mkfifo(app / "pipe")
    connection = start("""
        @app.route("/ls")
        def ls():
            return jsonify(sorted(os.listdir(".")))
    """)
    assert Client(connection).get("/ls").json == ["app.py"]


@pytest.mark.docker
def test_inside_the_container(start, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret_token_for_the_test")
    connection = start("""
        import socket

        @app.route("/inside")
        def inside():
            try:
                socket.create_connection(("1.1.1.1", 53), timeout=0.5).close()
                network = True
            except OSError:
                network = False
            try:
                open("/etc/grader-was-here", "w").close()
                root_writable = True
            except OSError:
                root_writable = False
            with open("/tmp/scratch", "w") as handle:
                handle.write("tmp ok")
            print("printed by the app")
            return jsonify(
                env=dict(os.environ), uid=os.getuid(), gid=os.getgid(), network=network,
                root_writable=root_writable, tmp=open("/tmp/scratch").read(),
                interfaces=sorted(name for _, name in socket.if_nameindex()),
            )
    """)
    inside = Client(connection).get("/inside").json
    assert "GITHUB_TOKEN" not in inside["env"]
    assert (inside["uid"], inside["gid"]) == (UID, UID)
    assert inside["network"] is False
    assert inside["interfaces"] == ["lo"]
    assert inside["root_writable"] is False
    assert inside["tmp"] == "tmp ok"
    deadline = time.monotonic() + 5
    while "printed by the app" not in connection.app_output()[0] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "printed by the app" in connection.app_output()[0]


@pytest.mark.docker
def test_start_failures_leave_no_container(tmp_path: Path, image: str, engine: docker.DockerClient, run_id: str):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\nif True\n")
    with pytest.raises(AppStartError, match=r"app\.py, line 3: SyntaxError"):
        DockerSandbox(image, run_id=run_id).start(broken, Limits(request_timeout=1, start_timeout=START_TIMEOUT))
    assert run_containers(engine, run_id) == []

    stuck = write_app(tmp_path / "stuck", "while True:\n    pass\n")
    began = time.monotonic()
    with pytest.raises(AppStartError, match=r"^the app did not start within 2 s$"):
        DockerSandbox(image, run_id=run_id).start(stuck, Limits(request_timeout=1, start_timeout=2))
    assert time.monotonic() - began < 8
    assert run_containers(engine, run_id) == []


@pytest.mark.docker
def test_restart_keeps_the_app_folder_and_forgets_the_memory(start):
    from test_sandbox_process import RESTART_APP

    connection = start(RESTART_APP)
    client = Client(connection)
    client.post("/note/liftoff")
    assert client.get("/notes").json == {"notes": ["liftoff"], "hits": 1}
    connection.restart()
    assert client.get("/notes").json == {"notes": ["liftoff"], "hits": 0}



@pytest.mark.docker
def test_the_app_cannot_write_more_than_its_disk_quota(start, engine: docker.DockerClient):
    """disk_mb 32: /tmp and /dev/shm get 8 MiB each, /app 16; past that, ENOSPC, and the app answers on."""
    connection = start(FILL_ROUTES, disk_mb=32, request_timeout=20)
    client = Client(connection)
    for where, quota in (("app", 16), ("tmp", 8), ("shm", 8)):
        answer = client.get(f"/fill/{where}").json
        assert answer["error"] == "ENOSPC", where
        assert (quota - 2) << 20 <= answer["written"] <= quota << 20, (where, answer)
    assert client.get("/").text == "home"
    volume = app_volume(connection)
    connection.close()
    with pytest.raises(docker.errors.NotFound):  # the quota's RAM is given back with the volume
        engine.volumes.get(volume)


@pytest.mark.docker
def test_the_agent_writes_the_submission_as_it_is(start):
    """Folders, nested files, an empty folder and a non-ASCII name arrive through the agent intact."""
    connection = start("""
        @app.route("/tree")
        def tree():
            found = {}
            for folder, dirs, files in os.walk("."):
                for name in dirs + files:
                    path = os.path.join(folder, name)[2:]
                    found[path] = open(path, encoding="utf-8").read() if name in files else "/"
            return jsonify(found)
    """, files={"templates/base.html": "<h1>{{ t }}</h1>", "static/css/site.css": "h1 {}",
                "données/été.txt": "soleil", "instance/.keep": ""})
    tree = Client(connection).get("/tree").json
    assert tree["templates/base.html"] == "<h1>{{ t }}</h1>" and tree["static/css/site.css"] == "h1 {}"
    assert tree["données/été.txt"] == "soleil" and tree["instance/.keep"] == "" and tree["static/css"] == "/"


@pytest.mark.docker
def test_a_file_is_capped_at_the_disk_when_that_is_smaller(start):
    """RLIMIT_FSIZE is min(64 MiB, disk_mb): a 40 MiB file with disk_mb 32 fails with EFBIG, not a crash."""
    connection = start(FILL_ROUTES, disk_mb=32, request_timeout=20)
    assert Client(connection).get("/big").text in {"EFBIG", "ENOSPC"}
    assert Client(connection).get("/").text == "home"


@pytest.mark.docker
@pytest.mark.parametrize("copied_by", ["engine", "agent"])
def test_a_submission_larger_than_the_quota_is_the_students(tmp_path: Path, image: str, engine: docker.DockerClient,
                                                             run_id: str, copied_by: str, monkeypatch):
    import grader.sandbox.docker as sandbox

    if copied_by == "agent":  # small submissions come through the agent: make this one small enough
        monkeypatch.setattr(sandbox, "AGENT_COPY_MAX", 14 << 20)
    app = write_app(tmp_path / "huge")
    (app / "data.bin").write_bytes(os.urandom(12 << 20))  # /app of disk_mb 16 is 8 MiB
    with pytest.raises(AppStartError, match="does not fit"):
        DockerSandbox(image, run_id=run_id).start(app, Limits(start_timeout=START_TIMEOUT, disk_mb=16))
    assert run_containers(engine, run_id) == []
