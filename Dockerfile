# The production image: one image for web, worker and beat (the command differs).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json ./
RUN npm install --omit=dev --no-audit --no-fund
RUN mkdir -p static/vendor \
 && cp node_modules/htmx.org/dist/htmx.min.js static/vendor/ \
 && cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/

FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
WORKDIR /app
RUN useradd --system --uid 1000 app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir .
COPY --from=assets /app/static/vendor static/vendor
# collectstatic needs settings but no secrets of value: placeholders are enough.
RUN SECRET_KEY=build DATABASE_URL=postgres://x/x REDIS_URL=redis://x ALLOWED_HOSTS=x \
    FIELD_ENCRYPTION_KEY=ZGV2LW9ubHktZmllbGQta2V5LWRvLW5vdC11c2UtMzI= \
    python manage.py collectstatic --noinput
USER app
EXPOSE 8000
CMD ["gunicorn", "coverage_platform.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
