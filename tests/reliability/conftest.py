from tests.cli.conftest import fast_model, home, invoke, project

__all__ = ["fast_model", "home", "invoke", "project"]
