"""Intake scripts without the database: a script's definition, the agent's answers, the
protocols that read them, and the built-in templates.

Pure functions and frozen dataclasses only, so the builder, the agent's form, the API and the
tests share one reading of a script; models and services wrap them (``intake.models``,
``intake.services``). Import from the modules: ``intake.scripts.definition``,
``intake.scripts.answers``, ``intake.scripts.protocols``, ``intake.scripts.templates``.
"""
