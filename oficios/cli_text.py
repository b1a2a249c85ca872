"""The command line's texts in the user's language: our help texts and click's own messages.

Help texts are written at import time, before the language of an invocation is known
(a test may run one command in Spanish and the next in English), so they are kept as English
message ids (marked with `N_`) and translated by `Group.main` at each invocation. click's own
texts ("Usage:", "Error: Missing argument") go through `gettext.gettext` bound in each click
module; `install_click_translations` points those bindings at our catalog, whose Spanish for
them is listed in CLICK_MESSAGES so that `make catalog` keeps it.
"""

from __future__ import annotations

import click

from oficios.i18n import N_, gettext, ngettext

# click's messages that a user of oficios can meet, as click writes them (click 8.x).
CLICK_MESSAGES = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Error: {message}"),
    N_("Try '{command} {option}' for help."), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("%(prog)s, version %(version)s"),
    N_("Missing argument"), N_("Missing option"), N_("Missing parameter"),
    N_("Missing command."), N_("No such option {name!r}."), N_("No such command {name!r}."),
    N_("Invalid value: {message}"), N_("Invalid value for {param_hint}: {message}"),
    N_("default: {default}"), N_("env var: {var}"), N_("required"), N_("Aborted!"),
    N_("Option {name!r} does not take a value."), N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."), N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."), N_("file"), N_("directory"), N_("path"),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."), N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."), N_("[OPTIONS]"), N_("COMMAND [ARGS]..."),
)
# The plural messages, written out so that `make catalog` finds them.
_PLURALS_FOR_THE_CATALOG = (
    lambda n: ngettext("Got unexpected extra argument ({args})",
                       "Got unexpected extra arguments ({args})", n),
    lambda n: ngettext("Option {name!r} requires an argument.",
                       "Option {name!r} requires {nargs} arguments.", n),
    lambda n: ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", n),
    lambda n: ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)",
                       n),
)


def _click_gettext(message: str) -> str:
    return gettext(message)


def _click_ngettext(singular: str, plural: str, count: int) -> str:
    return ngettext(singular, plural, count)


def install_click_translations() -> None:
    """Makes click's own messages speak the user's language, from our catalog."""
    import importlib

    for name in ("core", "decorators", "exceptions", "formatting", "parser", "termui",
                 "types", "utils"):
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _click_gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _click_ngettext


def translate_help(command: click.Command) -> None:
    """Puts every help text of `command` and its subcommands in the current language; the
    English ids are kept on each object, so this can run again in another language."""
    import inspect

    def translated(thing, attribute: str) -> None:
        ids = thing.__dict__.setdefault("_oficios_help_ids", {})
        if attribute not in ids:
            original = getattr(thing, attribute)
            ids[attribute] = inspect.cleandoc(original) if original else original
        if ids[attribute]:
            setattr(thing, attribute, gettext(ids[attribute]))

    for sub in [command, *getattr(command, "commands", {}).values()]:
        for attribute in ("help", "short_help", "options_metavar", "subcommand_metavar"):
            if hasattr(sub, attribute):
                translated(sub, attribute)
        if hasattr(sub, "_help_option"):
            sub._help_option = None  # click keeps --help's option once made: make it again
        for param in sub.params:
            if isinstance(param, click.Option):
                translated(param, "help")
            if param.metavar:  # options' and arguments' (the usage line: NOMBRE, not NAME)
                translated(param, "metavar")
            if isinstance(param.type, click.Path):
                # click names a path's kind in the language of import time ("PATH", "RUTA")
                kind = param.type
                name = ("file" if kind.file_okay and not kind.dir_okay else
                        "directory" if kind.dir_okay and not kind.file_okay else "path")
                kind.name = gettext(name)  # ids in CLICK_MESSAGES
        if sub is not command and isinstance(sub, click.Group):
            translate_help(sub)


class Group(click.Group):
    """A click group whose help and messages are in the user's language at each invocation."""

    def main(self, *args, **kwargs):
        translate_help(self)
        return super().main(*args, **kwargs)
