__version__="2.2.3"
__git_version__="0691c5cf90477d3503834d983f69350f250a6ff7"
