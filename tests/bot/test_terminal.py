"""The console and citebot ask as a person uses them in a terminal (a pseudo-terminal here) and in
a shell pipeline."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shlex
import signal
import subprocess
import sys
import termios
import time

import pytest

BOLD = "\x1b[1m"
WAIT_SECONDS = 300  # a guard against a hung program on a busy machine, not a timing assertion


def _attach_terminal() -> None:
    """In the child: take the pseudo-terminal as controlling terminal, and Ctrl-C and Ctrl-\\ back
    to their defaults, as a shell does for the program in the foreground (a runner started in the
    background, as CI may be, passes them on ignored)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class Terminal:
    """citebot running on a pseudo-terminal: type into it, read what it shows."""

    def __init__(self, args: list[str], env: dict[str, str], *, columns: int | None = None) -> None:
        self.master, slave = pty.openpty()
        if columns is not None:  # a new pseudo-terminal is 0 columns wide until told otherwise
            termios.tcsetwinsize(slave, (24, columns))
        full_env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "NO_COLOR")}
        full_env.update(env, TERM="xterm")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            # Its own session with the pseudo-terminal as controlling terminal, so Ctrl-C is SIGINT.
            start_new_session=True,
            preexec_fn=_attach_terminal,
        )
        os.close(slave)
        self.shown = ""
        self.seen = 0  # what wait_for has read up to: each wait looks at what came after

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait_until_reading(self) -> None:
        """Wait until the program sleeps waiting for a key (its main thread in select/poll, as the
        kernel reports it): a signal is then noticed at once, however busy the machine."""
        proc = f"/proc/{self.process.pid}"
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                with open(f"{proc}/stat") as stat, open(f"{proc}/wchan") as wchan:
                    state, where = stat.read().rpartition(")")[2].split()[0], wchan.read()
            except (OSError, IndexError):
                state, where = "S", ""
            if state == "S":  # asleep; where, if the kernel says
                if "poll" in where or "select" in where:
                    return
                if where in ("", "0"):  # the kernel does not say: a person's pause, then
                    time.sleep(1.0)
                    return
            time.sleep(0.01)
        pytest.fail(f"the program never waited for a key; the terminal shows:\n{self.shown}")

    def wait_for(self, text: str) -> str:
        """Read until ``text`` is shown after what the last wait found; everything shown so far."""
        deadline = time.monotonic() + WAIT_SECONDS
        while text not in self.shown[self.seen :]:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} never appeared; the terminal shows:\n{self.shown}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the program ended
                    chunk = b""
                if not chunk:
                    assert text in self.shown[self.seen :], f"{text!r} never appeared:\n{self.shown}"
                self.shown += chunk.decode(errors="replace")
        self.seen = self.shown.index(text, self.seen) + len(text)
        return self.shown

    def finish(self) -> int:
        """Wait for the program to end, reading what it still shows; its exit status."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.master], [], [], left)[0]:
                self.process.kill()
                pytest.fail(f"the program did not end; the terminal shows:\n{self.shown}")
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.shown += chunk.decode(errors="replace")
        status = self.process.wait(timeout=WAIT_SECONDS)
        os.close(self.master)
        return status


@pytest.fixture
def env(tmp_path):
    return {"CITEBOT_STATE_DIR": str(tmp_path / "state")}


def test_console_bold_paste_history_and_ctrl_d(env, tmp_path):
    term = Terminal(["chat"], env)
    term.wait_for("> ")
    # A question pasted over three lines is one question, answered once.
    term.type("What is secretory\nIgA in\nbreast milk?\n")
    shown = term.wait_for("Sources:")
    assert BOLD + "IgA" in shown, "matched terms are bold on a terminal"
    assert "**" not in shown
    assert shown.count("Sources:") == 1 and "That is not in the knowledge base" not in shown
    term.wait_for("> ")
    term.type("\x04")  # Ctrl-D
    assert term.finish() == 0
    assert "Traceback" not in term.shown
    history = (tmp_path / "state" / "console_history").read_text()
    assert "What is secretory IgA in breast milk?" in history


def test_console_leaves_cleanly_on_ctrl_c(env):
    term = Terminal(["chat"], env)
    term.wait_for("> ")
    term.type("half a question")
    term.wait_for("half a question")  # echoed: the prompt is reading
    # CPython's readline notices a signal only while it waits for a key; one landing while it is
    # still drawing the echo waits for the next key (a person then presses Ctrl-C again). On a
    # loaded machine the drawing can take a while, so Ctrl-C comes once it waits.
    term.wait_until_reading()
    term.type("\x03")  # Ctrl-C
    assert term.finish() == 0
    assert "Traceback" not in term.shown and "KeyboardInterrupt" not in term.shown
    assert term.shown.endswith("\n")


def test_console_shows_the_red_flag(env):
    term = Terminal(["chat"], env)
    term.wait_for("> ")
    term.type("my baby has a fever and is breathing fast\n")
    assert "⚠️ A baby struggling to breathe" in term.wait_for("not in the knowledge base")
    term.type("/quit\n")
    assert term.finish() == 0


def test_ask_without_a_question_on_a_terminal_says_what_it_expects(env):
    term = Terminal(["ask"], env)
    term.wait_for("Type a question and press Enter")
    term.type("What is colostrum?\n")
    term.type("\x04")
    assert term.finish() == 0
    assert "Traceback" not in term.shown


def test_ask_into_head_ends_without_a_broken_pipe(env, tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text("What is secretory IgA?\n" * 200)
    full_env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    full_env.update(env)
    shell = f"{shlex.quote(sys.executable)} -m bot ask < {shlex.quote(str(questions))} | head -n 2"
    out = subprocess.run(["sh", "-c", shell], capture_output=True, text=True, env=full_env, timeout=120)
    assert len(out.stdout.splitlines()) == 2
    assert "BrokenPipeError" not in out.stderr and "Traceback" not in out.stderr, out.stderr


def _folder_of_documents(folder, count: int):
    folder.mkdir()
    for n in range(count):
        (folder / f"doc{n}.md").write_text(f"# Topic {n}\n\nSomething about milk storage, {n}.\n")
    return folder


def test_index_shows_a_progress_bar_on_a_terminal(env, tmp_path):
    # The bar appears once reading takes longer than the delay: 0 here, so even this small folder
    # shows it, without a test that waits a second.
    folder = _folder_of_documents(tmp_path / "docs", 12)
    at_once = {**env, "CITEBOT_PROGRESS_DELAY": "0"}
    term = Terminal(["index", "--knowledge", str(folder)], at_once, columns=100)
    shown = term.wait_for("no problems found")
    assert "reading documents" in shown and "12/12" in shown
    assert term.finish() == 0


def test_a_build_shorter_than_the_delay_shows_no_progress_bar_on_a_terminal(env, tmp_path):
    folder = _folder_of_documents(tmp_path / "docs", 12)
    later = {**env, "CITEBOT_PROGRESS_DELAY": "600"}
    term = Terminal(["index", "--knowledge", str(folder)], later, columns=100)
    shown = term.wait_for("no problems found")
    assert "reading documents" not in shown and "documents: 12" in shown
    assert term.finish() == 0


def test_index_into_a_pipe_shows_no_progress_bar(env, tmp_path):
    folder = _folder_of_documents(tmp_path / "docs", 12)
    out = subprocess.run(
        [sys.executable, "-m", "bot", "index", "--knowledge", str(folder)],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "CITEBOT_PROGRESS_DELAY": "0"},
        timeout=WAIT_SECONDS,
    )
    assert out.returncode == 0, out.stderr
    assert "documents: 12" in out.stdout
    assert "reading documents" not in out.stderr and "\r" not in out.stderr and "%|" not in out.stderr
