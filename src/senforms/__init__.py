"""senforms: a school's SEN register in, correct SEN documents and EHC request packs out."""

__version__ = "0.1.0"
