# One image for every reelboard service (migrate, worker, beat, dashboard, flower).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY reelboard ./reelboard
COPY store ./store
COPY collector ./collector
COPY scoring ./scoring
COPY services ./services
COPY tasks ./tasks
COPY dashboard ./dashboard
COPY fakeplatform ./fakeplatform
RUN pip install --no-cache-dir '.[server]' && useradd --create-home reelboard
USER reelboard
WORKDIR /home/reelboard
