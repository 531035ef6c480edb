"""The modelmix dashboard: a Streamlit multipage app over ``modelmix.analytics`` (no SQL, no cost math here).

``main.py`` is the entry point (``streamlit run app/main.py``); ``pages/`` holds one script per page;
``data.py`` wraps the analytics queries in short-lived caches; ``charts.py`` builds Plotly figures;
``filters.py`` keeps the global filters in the URL; ``auth.py`` guards the app with an optional password.
"""
