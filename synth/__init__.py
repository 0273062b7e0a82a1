"""Program synthesizer: prompt, samplers, code extraction, sandbox, verification, program store."""
