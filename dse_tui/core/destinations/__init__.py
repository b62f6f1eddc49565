"""Destinations: where a good run is copied. One module per kind of destination, behind one small interface
(base.DestinationKind):

    copy(job)              write the run there and read it back; a Copied, or CopyError
    verify(job, existing)  re-read a copy made earlier against the manifest; CopyError if it no longer
                           matches, Unreachable if it cannot be read now (the check is then inconclusive)
    describe(dest)         one line for people on where it is (no secrets)
    device(dest)           what makes two destinations one device, from the profile (None: its own media)
    tools(dest)            the local programs it runs (`dse-tui check` looks for them)

KINDS maps the profile's `kind` to its module: adding a kind is its module and one line here."""

KINDS = {
    "directory": "dse_tui.core.destinations.directory",
    "removable": "dse_tui.core.destinations.removable",
    "optical": "dse_tui.core.destinations.optical",
    "ssh": "dse_tui.core.destinations.ssh",
}
