<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:axsl="urn:alias">
<xsl:namespace-alias stylesheet-prefix="axsl" result-prefix="xsl"/><xsl:template match="/"><axsl:stylesheet version="1.0"><axsl:template match="{name(/*)}"><axsl:value-of select="."/></axsl:template></axsl:stylesheet></xsl:template>
</xsl:stylesheet>
