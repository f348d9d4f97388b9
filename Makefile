# Two entry points do all the set-up on a fresh machine with Python 3:
#   make demo   - build the environment, the offline encoder, and run the main job
#   make test   - build the environment and run the test suite
# Both install the versions the suite passed with (constraints.txt); `make lock` refreshes them.
# Users with a GPU: create .venv and install the torch build for your CUDA first;
# the pinned CPU build below is then left alone (pip sees the requirement satisfied).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
XLIE := $(VENV)/bin/xlie
EXTRAS ?= dev,spacy,ray,ct2,track,int8
PYTEST_ARGS ?=
TORCH ?= torch==2.13.0
CONSTRAINTS ?= constraints.txt

.PHONY: install demo demo-apertium demo-ner test test-fast lock clean

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed

# The main job: align a bundled en-cs sample (links and AER), then the whole chain offline on
# real MT: translate (Apertium) -> align -> project -> selftrain, English -> Spanish UPOS on a
# bundled PUD slice, printing the tagger's accuracy with silver data against English gold
# alone. Apertium is installed with apt-get where that is possible; where it cannot be, the
# demo says how and runs from bundled human translations instead (align -> project ->
# selftrain on Europarl en-de NER; projected-F1 and tagger-F1).
demo: install
	$(XLIE) models build e5-small
	$(XLIE) demo
	@scripts/install-apertium.sh eng-spa
	@if scripts/install-apertium.sh --check eng-spa; then \
	  $(XLIE) run configs/demo-apertium.yaml; \
	else echo "Apertium missing: running configs/demo.yaml (bundled translations) instead"; \
	  $(XLIE) run configs/demo.yaml; fi

# Each half of the demo on its own.
demo-apertium: install
	$(XLIE) models build e5-small
	@scripts/install-apertium.sh eng-spa
	@if scripts/install-apertium.sh --check eng-spa; then \
	  $(XLIE) run configs/demo-apertium.yaml; \
	else echo "skipped: configs/demo-apertium.yaml needs Apertium (see above)"; exit 1; fi

demo-ner: install
	$(XLIE) models build e5-small
	$(XLIE) run configs/demo.yaml

# pytest exits 5 when it collected no test: that is a failure, not a pass.
test: install
	@$(PY) -m pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest ran no test" >&2; exit 1; fi; exit $$rc

test-fast: install
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

# Refresh constraints.txt: install the newest releases into a scratch environment, run the
# suite there, and write the versions only if it passes.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet $(TORCH)
	.venv-lock/bin/python -m pip install --quiet --upgrade -e ".[$(EXTRAS)]"
	.venv-lock/bin/python -m pytest -q $(PYTEST_ARGS)
	{ sed -n '1,2p' $(CONSTRAINTS); .venv-lock/bin/python -m pip freeze --exclude-editable | \
	  grep -v '^torch=='; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .venv-lock build *.egg-info .pytest_cache
