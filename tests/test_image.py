"""Exercise images, with a real Docker Engine (no mocks).

Docker tests are skipped when no engine answers, unless GRADER_REQUIRE_DOCKER=1 makes that a
failure. The base image is built by scripts/build-base-image.sh when missing (minutes, once).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import docker
import pytest

from grader.errors import GraderError
from grader.exercise import Exercise, find_exercise
from grader.sandbox.image import DEFAULT_BASE, build_image, docker_client, ensure_image, image_tag

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "build-base-image.sh"


@pytest.fixture(scope="session")
def client() -> docker.DockerClient:
    found = docker_client()
    if found is None:
        if os.environ.get("GRADER_REQUIRE_DOCKER") == "1":
            pytest.fail("GRADER_REQUIRE_DOCKER=1 but no Docker Engine answers")
        pytest.skip("no Docker Engine answers (set GRADER_REQUIRE_DOCKER=1 to make this a failure)")
    return found


@pytest.fixture(scope="session")
def base_image(client: docker.DockerClient) -> str:
    """The default base image, built by the script if missing (the script serialises parallel builds)."""
    try:
        client.images.get(DEFAULT_BASE)
    except docker.errors.ImageNotFound:
        process = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=1800)
        assert process.returncode == 0, f"{SCRIPT.name} failed:\n{process.stdout}\n{process.stderr}"
    return DEFAULT_BASE


def run_offline(client: docker.DockerClient, image: str, command: list[str]) -> tuple[int, str]:
    """Run `command` in a fresh container without network; (exit status, stdout). Always removed."""
    container = client.containers.create(image, command, network_disabled=True)
    try:
        container.start()
        status = container.wait(timeout=60)["StatusCode"]
        return status, container.logs(stdout=True, stderr=False).decode()
    finally:
        container.remove(force=True)


def course_exercise(course: Path, packages: list[str]) -> Exercise:
    """hello-mission in a throwaway course, with its rubric's `packages` replaced."""
    rubric = course / "rubrics" / "hello-mission.yaml"
    lines = rubric.read_text().splitlines(keepends=True)
    lines = [f"packages: {packages!r}\n" if line.startswith("packages:") else line for line in lines]
    rubric.write_text("".join(lines))
    return Exercise("hello-mission", course / "exercises" / "hello-mission", rubric)


def test_image_tag_changes_with_packages_and_base(course: Path) -> None:
    first = image_tag(course_exercise(course, ["flask>=3.0"]))
    assert first.startswith("flask-grader/hello-mission:")
    assert image_tag(course_exercise(course, ["flask>=3.0"])) == first
    assert image_tag(course_exercise(course, ["flask>=3.0", "itsdangerous"])) != first
    assert image_tag(course_exercise(course, ["flask>=3.0"]), base="python:3.11-slim") != first
    # A rebuilt base (same name, new id) gives new exercise tags, so stale images are not reused.
    assert image_tag(course_exercise(course, ["flask>=3.0"]), base_id="sha256:1") != first


@pytest.mark.docker
def test_base_image_exists_and_runs_python_offline(client: docker.DockerClient, base_image: str) -> None:
    image = client.images.get(base_image)
    assert image.labels.get("org.flask-grader.base") == "1"
    status, out = run_offline(client, base_image, ["python3", "-c", "import sys; print(sys.version_info[0])"])
    assert (status, out.strip()) == (0, "3")


@pytest.mark.docker
def test_build_image_gives_offline_flask_as_unprivileged_user(client: docker.DockerClient, base_image: str) -> None:
    exercise = find_exercise("hello-mission")
    # force: go through every step (probe, pip, context, build); Docker's layer cache keeps it quick.
    tag = build_image(exercise, base=base_image, client=client, force=True)
    assert tag == image_tag(exercise, base_image, client.images.get(base_image).id)
    assert client.images.get(tag).labels.get("org.flask-grader.exercise") == "hello-mission"
    status, out = run_offline(client, tag, ["python3", "-c", "import flask, os; print(flask.__version__); print(os.getuid(), os.getgid())"])
    assert status == 0, out
    version, ids = out.split()[0], out.split()[1:]
    assert version[0].isdigit() and ids == ["10001", "10001"]
    assert ensure_image(exercise, client=client) == tag
    # The agent bundle is importable the way the container runs it, even in isolated mode.
    status, out = run_offline(client, tag, ["python3", "-I", "-c", "import flask; print(flask.__name__)"])
    assert (status, out.strip()) == (0, "flask")
    status, _ = run_offline(client, tag, ["test", "-f", "/opt/grader/agent/agent.py", "-a", "-f", "/opt/grader/agent/protocol.py", "-a", "-f", "/opt/grader/agent/discovery.py"])
    assert status == 0


@pytest.mark.docker
def test_ensure_image_says_how_to_build_a_missing_image(client: docker.DockerClient, course: Path) -> None:
    exercise = course_exercise(course, ["flask>=3.0", f"never-built-{uuid.uuid4().hex}"])
    with pytest.raises(GraderError) as caught:
        ensure_image(exercise, client=client)
    assert caught.value.exit_code == 2
    assert "grader image build hello-mission" in caught.value.message


@pytest.mark.docker
def test_build_image_without_its_base_names_the_script(client: docker.DockerClient) -> None:
    missing = f"flask-grader-base:missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(GraderError) as caught:
        build_image(find_exercise("hello-mission"), base=missing, client=client)
    assert caught.value.exit_code == 2
    assert "scripts/build-base-image.sh" in caught.value.message and missing in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.docker
def test_check_with_docker_and_no_image_names_the_command_to_run(client, base_image, course: Path, grader) -> None:
    exercise = course_exercise(course, ["flask>=3.0", "itsdangerous>=2.0"])
    tag = image_tag(exercise, base_image, client.images.get(base_image).id)
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(tag)
    run = grader("check", "hello-mission", exercise.solution_dir, "--sandbox", "docker",
                 env={"GRADER_COURSE": str(course)})
    assert run.returncode == 2, run
    assert run.stderr.strip() == (
        f"grader: error: no image {tag} for exercise hello-mission; build it with: grader image build hello-mission"
    )
