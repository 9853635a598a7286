"""Write a file so that nobody ever sees half of it: a temporary file beside the destination,
renamed into place once complete. Checkpoints, reports, plots, caches and state dicts all use it."""
import os
import tempfile


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(dest, write):
    """``write(binary_file)`` into a temporary file beside ``dest``, then rename it into place: a
    reader never sees half a file, and an interrupted write leaves the previous file intact."""
    dest = os.path.abspath(dest)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())          # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
