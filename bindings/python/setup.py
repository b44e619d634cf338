"""The build of the hams package: pure Python (ctypes) plus, when it can be
built, the C fast path ``hams._fast`` against the installed libhams found
with ``pkg-config hams``. Without pkg-config, hams.pc, a compiler or
Python.h the package still builds and installs, with ctypes only."""

import shlex
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _pkg_config(flag):
    try:
        out = subprocess.run(["pkg-config", flag, "hams"], check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return shlex.split(out)


class OptionalBuildExt(build_ext):
    """build_ext that gives up on the extension instead of failing."""

    def run(self):
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 - any failure means ctypes only
            print(f"hams: not building the C fast path ({e}); the ctypes implementation is used", file=sys.stderr)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as e:  # noqa: BLE001
            print(f"hams: not building {ext.name} ({e}); the ctypes implementation is used", file=sys.stderr)


def _extensions():
    cflags, libs = _pkg_config("--cflags"), _pkg_config("--libs")
    if cflags is None or libs is None:
        print("hams: pkg-config hams not found: building without the C fast path", file=sys.stderr)
        return []
    return [
        Extension(
            "hams._fast",
            sources=["src/hams_fast.c"],
            extra_compile_args=cflags,
            # Links libhams.so.0 itself, never a copy of it.
            extra_link_args=libs,
            optional=True,
        )
    ]


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
