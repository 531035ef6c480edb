"""The modelmix dashboard: a Streamlit multipage app over ``modelmix.analytics`` (no SQL, no cost math here).

``main.py`` is the entry point (``streamlit run app/main.py``); ``views/`` holds one script per page
(deliberately not ``pages/``: Streamlit runs a ``pages/`` folder's scripts directly on a deep link,
skipping ``main.py`` and with it the sign-in and the filters);
``data.py`` wraps the analytics queries in short-lived caches; ``charts.py`` builds Plotly figures;
``filters.py`` keeps the global filters in the URL; ``auth.py`` guards the app with an optional password.
"""
