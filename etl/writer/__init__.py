"""The optional writer model: drafts of fuller leads and 研究亮点 texts from each record's facts
and source sentences, checked for fidelity and kept for an editor to accept."""
