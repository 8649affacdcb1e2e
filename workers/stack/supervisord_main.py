"""supervisord as the stack runs it: unchanged, except that it notices a program's exit within
0.1 s instead of up to a second. Its main loop waits for I/O up to 1 s a turn and restarts an exited
program on the turn after the one that reaped it, so each restart began a full second after the
exit; waking ten times a second costs it a negligible amount of CPU."""

from supervisor import poller, supervisord

TURN_SECONDS = 0.1


class PromptPoller(poller.Poller):
    def poll(self, timeout):
        return super().poll(min(timeout, TURN_SECONDS))


poller.Poller = PromptPoller  # supervisord's options create their poller from this name

if __name__ == "__main__":
    supervisord.main()
