import multiprocessing

from aldesk.cli import run

if __name__ == "__main__":
    # a frozen (PyInstaller) app re-enters here in each feature-extraction worker process
    multiprocessing.freeze_support()
    raise SystemExit(run())
