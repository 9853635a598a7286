"""Write a file so that nobody ever sees half of it: a temporary file beside the destination,
renamed into place once complete. Checkpoints, reports, plots, caches and state dicts all use it."""
import errno
import os
import tempfile


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sync_folder(folder):
    """The rename itself on disk (where the system lets a folder be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(dest, write):
    """``write(binary_file)`` into a temporary file beside ``dest``, then rename it into place: a
    reader never sees half a file, and an interrupted write leaves the previous file intact.

    A symbolic link stays a link: the file it points to is replaced. A destination that exists and is
    no regular file (``/dev/stdout``, a named pipe, a device) is written in place, as a stream: a
    rename would put a plain file where it stands."""
    dest = os.path.abspath(dest)
    if os.path.exists(dest) and not os.path.isfile(dest) and not os.path.isdir(dest):
        try:
            with open(dest, "wb") as f:
                write(f)
        except OSError as e:
            raise type(e)(e.errno, f"cannot write {dest}: {e.strerror}") from None
        return
    dest = os.path.realpath(dest)
    folder = os.path.dirname(dest)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-")
    except FileExistsError as e:                    # a file where a folder of the path should be
        raise NotADirectoryError(errno.ENOTDIR, f"cannot write {dest}: a file stands where its folder should be "
                                          f"({e.filename})") from None
    except OSError as e:                            # read-only, no permission, disk full: name the file meant
        raise type(e)(e.errno, f"cannot write {dest}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())                    # on disk before the rename: a power cut leaves old or new
        os.chmod(tmp, 0o666 & ~_umask())          # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, dest)
        _sync_folder(folder)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno is not None:
            raise type(e)(e.errno, f"cannot write {dest}: {e.strerror}") from None
        raise
