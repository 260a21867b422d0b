// api_server tests: see tests below
