"""Markers of the end-to-end tests."""


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "slow: long runs, skipped unless ALDESK_SLOW=1")
