"""The web console, the grid worker's mobile page, the citizen portal and the dashboard, served by civicloop itself."""
