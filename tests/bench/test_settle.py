"""The harness lets the machine settle before a figure (bench.stack.settle), on scripted CPU readings."""

from bench.stack import settle


class Machine:
    """CPU readings as /proc/stat gives them, a busy share per interval, and a clock moved by sleep."""

    def __init__(self, shares):
        self.shares = list(shares)
        self.busy = self.total = self.now = 0.0

    def read(self):
        return self.busy, self.total

    def sleep(self, seconds):
        self.now += seconds
        share = self.shares.pop(0) if self.shares else 0.0
        self.busy += 100 * share
        self.total += 100

    def clock(self):
        return self.now


def run(machine, max_s=60.0):
    return settle(max_s, read=machine.read, clock=machine.clock, sleep=machine.sleep)


def test_a_quiet_machine_is_settled_after_the_quiet_period():
    assert run(Machine([0.05] * 100)) == (3.0, True)


def test_it_waits_while_the_machine_is_busy_and_counts_quiet_from_when_it_calmed():
    waited, settled = run(Machine([0.9] * 10 + [0.05] * 100))  # busy for 5 s
    assert settled and waited == 8.0


def test_one_busy_moment_starts_the_quiet_period_again():
    waited, settled = run(Machine([0.05] * 4 + [0.5] + [0.05] * 100))
    assert settled and waited == 5.5


def test_a_machine_that_stays_busy_is_given_up_on_at_the_limit():
    waited, settled = run(Machine([0.9] * 1000), max_s=10.0)
    assert not settled and waited == 10.0
