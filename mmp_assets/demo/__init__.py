"""A deterministic, realistic card-fraud dataset for the demo recipes; no downloads."""

from mmp_assets.demo.generator import GENERATOR_VERSION, generate_demo_data, write_demo_data

__all__ = ["GENERATOR_VERSION", "generate_demo_data", "write_demo_data"]
